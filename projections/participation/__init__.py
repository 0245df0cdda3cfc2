"""The participation status projection: who is insured, with which card, valid when."""
