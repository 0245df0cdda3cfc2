// The dashboard's login page: posts the form itself so a refusal is explained in the chosen
// language (the server answers JSON with a `kind`), then opens the dashboard. The session cookie
// is HttpOnly: this script never sees it. Language handling as in dashboard.js (same stored choice).
"use strict";

(() => {
  const LANGUAGES = ["vi", "en"];
  const LANGUAGE_KEY = "bhyt-dashboard-lang";
  const TEXTS = window.BhytI18n;
  let lang = "vi";
  let shown = null; // the key of the error on screen, redrawn when the language changes

  const $ = (id) => document.getElementById(id);

  function t(key) {
    return TEXTS[lang][key] ?? TEXTS.vi[key] ?? key;
  }

  function stored() {
    try {
      return window.localStorage.getItem(LANGUAGE_KEY);
    } catch (_) {
      return null;
    }
  }

  function store(value) {
    try {
      window.localStorage.setItem(LANGUAGE_KEY, value);
    } catch (_) {
      // storage disabled: the choice lasts for this page only
    }
  }

  function initialLanguage() {
    const asked = new URLSearchParams(window.location.search).get("lang");
    if (LANGUAGES.includes(asked)) {
      store(asked);
      return asked;
    }
    return LANGUAGES.includes(stored()) ? stored() : "vi";
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t("login.title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
    $("lang-switch").setAttribute("lang", lang === "vi" ? "en" : "vi");
    showError(shown);
  }

  function showError(key) {
    shown = key;
    const node = $("login-error");
    node.textContent = key ? t(key) : "";
    node.hidden = !key;
    node.dataset.kind = key ? key.replace(/^login\./, "") : "";
  }

  async function submit(event) {
    event.preventDefault();
    const form = $("login-form");
    if (!form.reportValidity()) return;
    const button = $("login-form").querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch("login", {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        // Back to the dashboard with the filters of the address that sent us here, if any.
        const params = new URLSearchParams(window.location.search);
        params.delete("ended");
        const query = params.toString();
        window.location.replace(query ? `./?${query}` : "./");
        return;
      }
      let kind = "";
      try {
        kind = (await response.json()).error || "";
      } catch (_) {
        // not JSON: a proxy's page; say the server could not be reached
      }
      const key = `login.${kind}`;
      showError(Object.prototype.hasOwnProperty.call(TEXTS.vi, key) ? key : "login.unavailable");
      $("password").value = "";
      $("password").focus();
    } catch (_) {
      showError("login.unavailable");
    } finally {
      button.disabled = false;
    }
  }

  function start() {
    lang = initialLanguage();
    const ended = new URLSearchParams(window.location.search).get("ended");
    shown = ended ? "login.ended" : null;
    applyLanguage();
    $("lang-switch").addEventListener("click", () => {
      lang = lang === "vi" ? "en" : "vi";
      store(lang);
      applyLanguage();
    });
    $("login-form").addEventListener("submit", submit);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
