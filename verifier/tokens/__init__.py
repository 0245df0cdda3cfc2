"""Signed digital card tokens: CBOR claims in a CWT, signed as COSE_Sign1, zlib, Base45, a prefix.

The same stack as the EU Digital COVID Certificate and MOSIP Claim 169, so that existing
verifiers, libraries and operator habits carry over. Pure core: no I/O beyond reading key files.
"""
