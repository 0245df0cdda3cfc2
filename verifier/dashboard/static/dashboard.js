// The staff dashboard: one EventSource on api/events feeds the alert table and the facility cards.
// Plain JS, no build step and nothing from the internet. Data never goes through innerHTML: every
// value from the server is set with textContent or an attribute, so a crafted detail stays text.
// Vietnamese first: every text the page writes comes from i18n.js through t(); the language is
// ?lang=vi|en, else the one last chosen (localStorage), else Vietnamese.
// Behind a login: api/session says who is logged in and gives the CSRF token every action sends
// back (X-CSRF-Token); a session that ends (401, or the stream's "session_ended") goes to the login
// page. Acknowledge and close send no staff id: the server records the logged-in account.
"use strict";

(() => {
  const MAX_ALERTS = 500; // the page keeps this many; older rows fall off the bottom
  const VIETNAM_OFFSET_MS = 7 * 3600 * 1000; // check-in days are Vietnamese days (UTC+7, no DST)
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FILTER_FIELDS = ["province", "facility", "rule", "min_severity", "include_closed"];
  const LANGUAGES = ["vi", "en"];
  const LANGUAGE_KEY = "bhyt-dashboard-lang";
  const TEXTS = window.BhytI18n;

  const SEVERITY = {
    SEVERITY_UNSPECIFIED: "unknown",
    SEVERITY_LOW: "low",
    SEVERITY_MEDIUM: "medium",
    SEVERITY_HIGH: "high",
    SEVERITY_CRITICAL: "critical",
  };
  const STATUS = {
    ALERT_STATUS_UNSPECIFIED: "unknown",
    ALERT_STATUS_OPEN: "open",
    ALERT_STATUS_ACKNOWLEDGED: "acknowledged",
    ALERT_STATUS_CLOSED: "closed",
  };
  // The monitor's one-line evidence details (projections/monitor/observations.py, `Seen.detail`),
  // taken apart so the page can say them in the chosen language; anything else is shown as it is.
  const CHECK_IN_DETAIL = /^(accepted|rejected|needs review|provisional|no verdict) ?(.*?)(?:, token (\S+))?$/;
  const FACE_DETAIL = /^face score (\S+), (match|no match)(?:, liveness (.+))?$/;

  const state = {
    source: null, // the current EventSource
    views: new Map(), // alert id -> {view, seq}
    seq: 0, // arrival order, the tie-breaker between equal update times
    selected: null, // alert id whose evidence is shown
    includeClosed: false,
    lang: "vi",
    stream: "connecting", // connecting | live | reconnecting | offline
    stats: null, // the last statistics, redrawn when the language changes
    reasons: new Map(), // result code -> {vi, en}, from api/reasons
    session: null, // {username, csrf_token} from api/session
  };

  const $ = (id) => document.getElementById(id);

  // ---- language -----------------------------------------------------------------------------

  function has(key) {
    return Object.prototype.hasOwnProperty.call(TEXTS.vi, key);
  }

  /** The text for `key` in the chosen language, `{name}` filled from `values` (never re-scanned). */
  function t(key, values = {}) {
    const text = TEXTS[state.lang][key] ?? TEXTS.vi[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** A number as the language writes it: "25,0" in Vietnamese, "25.0" in English. */
  function decimal(value, digits) {
    const text = value.toFixed(digits);
    return state.lang === "vi" ? text.replace(".", ",") : text;
  }

  function storedLanguage() {
    try {
      return window.localStorage.getItem(LANGUAGE_KEY);
    } catch (_) {
      return null; // storage disabled: the choice lasts for this page only
    }
  }

  function storeLanguage(lang) {
    try {
      window.localStorage.setItem(LANGUAGE_KEY, lang);
    } catch (_) {
      // storage disabled: the choice lasts for this page only
    }
  }

  function initialLanguage() {
    const asked = new URLSearchParams(window.location.search).get("lang");
    if (LANGUAGES.includes(asked)) {
      storeLanguage(asked);
      return asked;
    }
    const stored = storedLanguage();
    return LANGUAGES.includes(stored) ? stored : "vi";
  }

  /** Write every fixed text of the page in the chosen language, then redraw what the data drew. */
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t("page.title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("label", t(node.dataset.i18nLabel));
    }
    $("lang-switch").setAttribute("lang", state.lang === "vi" ? "en" : "vi");
    $("signed-in-as").textContent = state.session ? t("session.who", { username: state.session.username }) : "";
    setStatus(state.stream);
    for (const entry of state.views.values()) placeRow(alertRow(entry.view), entry);
    if (state.selected && state.views.has(state.selected)) showEvidence(state.views.get(state.selected).view);
    if (state.stats) drawStats(state.stats);
  }

  function switchLanguage() {
    state.lang = state.lang === "vi" ? "en" : "vi";
    storeLanguage(state.lang);
    // Drop ?lang= so a reload keeps the choice just made rather than the one in the address.
    const params = new URLSearchParams(window.location.search);
    if (params.has("lang")) {
      params.delete("lang");
      const query = params.toString();
      window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
    }
    applyLanguage();
  }

  /** The result codes' texts, from the verifier's own table; without them codes are shown bare. */
  async function loadReasons() {
    try {
      const response = await fetch("api/reasons");
      if (!response.ok) return;
      const body = await response.json();
      state.reasons = new Map(Object.entries(body.reasons || {}));
    } catch (_) {
      return; // the codes stay readable on their own; the stream reports a server that is gone
    }
    if (state.selected && state.views.has(state.selected)) showEvidence(state.views.get(state.selected).view);
  }

  function ruleName(rule) {
    return has(`rule.${rule}`) ? t(`rule.${rule}`) : rule || "";
  }

  /** The monitor's one-line summary in the chosen language. Alerts raised before the monitor wrote
   * Vietnamese have an empty summary_vi: they keep their English line rather than show nothing. */
  function summaryText(alert) {
    return (state.lang === "vi" && alert.summary_vi) || alert.summary || "";
  }

  // ---- small helpers ------------------------------------------------------------------------

  function el(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs = {}) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  function parseTime(text) {
    if (!text) return NaN;
    // Protobuf JSON may carry nanoseconds; Date wants at most milliseconds.
    return Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  }

  /** "2026-03-01 14:05:09" in Vietnam time; the headers say UTC+7. */
  function vnTime(text) {
    const ms = parseTime(text);
    if (Number.isNaN(ms)) return text || "";
    return new Date(ms + VIETNAM_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
  }

  /** The incident's window as [first line, second line]: the start, then the end and its length. */
  function windowLines(alert) {
    const start = vnTime(alert.window_start);
    const end = vnTime(alert.window_end);
    if (!start || !end || start === end) return [start || end, ""];
    const shownEnd = start.slice(0, 10) === end.slice(0, 10) ? end.slice(11) : end;
    const minutes = Math.round((parseTime(alert.window_end) - parseTime(alert.window_start)) / 60000);
    return [start, `→ ${shownEnd} (${minutes} min)`];
  }

  function windowCell(alert) {
    const cell = el("td", { class: "window" });
    for (const line of windowLines(alert)) if (line) cell.append(el("span", { class: "line" }, line));
    return cell;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : `${decimal(rate * 100, 1)} %`;
  }

  function severityBadge(severity) {
    const name = SEVERITY[severity] || "unknown";
    return el("span", { class: `badge sev-${name}` }, t(`severity.${name}`));
  }

  function statusText(view) {
    const name = t(`status.${STATUS[view.status] || "unknown"}`);
    return view.status_by ? t("status.by", { status: name, who: view.status_by }) : name;
  }

  function updatedAt(view) {
    const ms = parseTime(view.updated_at || (view.alert && view.alert.window_end));
    return Number.isNaN(ms) ? 0 : ms;
  }

  // ---- filters ------------------------------------------------------------------------------

  function filterParams() {
    const form = $("filters");
    const params = new URLSearchParams();
    for (const name of FILTER_FIELDS) {
      const field = form.elements[name];
      if (field.type === "checkbox") {
        if (field.checked) params.set(name, "true");
      } else if (field.value.trim()) {
        params.set(name, field.value.trim());
      }
    }
    return params;
  }

  function loadFiltersFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const form = $("filters");
    for (const name of FILTER_FIELDS) {
      const field = form.elements[name];
      if (field.type === "checkbox") field.checked = params.get(name) === "true";
      else field.value = params.get(name) || "";
    }
  }

  function showFilterError(message) {
    const node = $("filter-error");
    node.textContent = message || "";
    node.hidden = !message;
  }

  function showWarning(message) {
    const node = $("feed-warning");
    node.textContent = message || "";
    node.hidden = !message;
  }

  // ---- the stream ---------------------------------------------------------------------------

  function setStatus(stream) {
    state.stream = stream;
    const node = $("stream-status");
    node.textContent = t(`stream.${stream}`);
    node.dataset.state = stream;
    node.className = `status status-${stream}`;
  }

  function connect() {
    if (state.source) state.source.close();
    const params = filterParams();
    state.includeClosed = params.get("include_closed") === "true";
    clearAlerts();
    const query = params.toString();
    const source = new EventSource(`api/events${query ? `?${query}` : ""}`);
    state.source = source;
    setStatus("connecting");
    source.onopen = () => {
      if (source !== state.source) return;
      // Every (re)connection replays the recent alerts: start from them, so an alert closed
      // while the stream was down does not stay on screen as open.
      clearAlerts();
      setStatus("live");
      showFilterError("");
    };
    source.onerror = () => {
      if (source !== state.source) return;
      if (source.readyState === EventSource.CLOSED) {
        setStatus("offline");
        explainFailure(source, query);
      } else {
        setStatus("reconnecting"); // EventSource retries by itself
      }
    };
    source.addEventListener("alert", (event) => onNotice(JSON.parse(event.data)));
    source.addEventListener("stats", (event) => onStats(JSON.parse(event.data)));
    source.addEventListener("warning", (event) => {
      const warning = JSON.parse(event.data);
      showWarning(warningText(warning));
      if (warning.kind === "session_ended") goToLogin(true);
    });
  }

  /** The server's warning in the chosen language when its kind is known, else its English line. */
  function warningText(warning) {
    const key = `warning.${warning.kind}`;
    return has(key) ? t(key, { detail: warning.detail || "" }) : warning.message || "";
  }

  /** EventSource gives up without saying why (e.g. HTTP 400); ask the JSON endpoint for the reason. */
  async function explainFailure(source, query) {
    let retry = true;
    try {
      const response = await fetch(`api/alerts?${query}${query ? "&" : ""}limit=1`);
      if (response.status === 401) {
        goToLogin(true);
        return;
      }
      if (response.status === 400) {
        const body = await response.json();
        // The server explains in English; say in the chosen language which filter it refused.
        showFilterError(
          body.parameter ? t("filters.refused", { parameter: body.parameter, error: body.error }) : body.error,
        );
        retry = false;
      }
    } catch (_) {
      showWarning(t("warning.unreachable"));
    }
    if (retry) {
      setTimeout(() => {
        if (source === state.source) connect();
      }, 5000);
    }
  }

  // ---- alerts -------------------------------------------------------------------------------

  function clearAlerts() {
    state.views.clear();
    state.selected = null;
    $("alert-rows").replaceChildren();
    $("evidence").hidden = true;
    updateCount();
  }

  function updateCount() {
    $("alert-count").textContent = String(state.views.size);
    $("no-alerts").hidden = state.views.size > 0;
  }

  /** True when `incoming` is a later state of the same alert than `current`. */
  function isNewer(incoming, current) {
    const a = incoming.alert.revision || 0;
    const b = current.alert.revision || 0;
    if (a !== b) return a > b;
    return updatedAt(incoming) >= updatedAt(current); // same revision: a status change
  }

  function onNotice(notice) {
    const view = notice.alert;
    if (!view || !view.alert || !view.alert.alert_id) return;
    const id = view.alert.alert_id;
    const known = state.views.get(id);
    if (known && !isNewer(view, known.view)) return; // a replay of what we already show
    if (view.status === "ALERT_STATUS_CLOSED" && !state.includeClosed) {
      removeAlert(id);
      return;
    }
    const entry = { view, seq: ++state.seq };
    state.views.set(id, entry);
    placeRow(alertRow(view), entry);
    while (state.views.size > MAX_ALERTS) {
      const last = $("alert-rows").lastElementChild;
      removeAlert(last.dataset.alertId);
    }
    if (state.selected === id) showEvidence(view);
    updateCount();
  }

  function removeAlert(id) {
    state.views.delete(id);
    const row = findRow(id);
    if (row) row.remove();
    if (state.selected === id) {
      state.selected = null;
      $("evidence").hidden = true;
    }
    updateCount();
  }

  function findRow(id) {
    for (const row of $("alert-rows").children) if (row.dataset.alertId === id) return row;
    return null;
  }

  /** Newest change first; equal times keep the order they arrived in, newest first. */
  function comesBefore(a, b) {
    const ta = updatedAt(a.view);
    const tb = updatedAt(b.view);
    return ta !== tb ? ta > tb : a.seq > b.seq;
  }

  function placeRow(row, entry) {
    const body = $("alert-rows");
    const old = findRow(entry.view.alert.alert_id);
    if (old) old.remove();
    let before = null;
    for (const other of body.children) {
      const otherEntry = state.views.get(other.dataset.alertId);
      if (otherEntry && comesBefore(entry, otherEntry)) {
        before = other;
        break;
      }
    }
    body.insertBefore(row, before);
  }

  function alertRow(view) {
    const alert = view.alert;
    const severity = SEVERITY[alert.severity] || "unknown";
    const row = el("tr", {
      "data-testid": "alert-row",
      "data-alert-id": alert.alert_id,
      "data-revision": String(alert.revision || 0),
      "data-severity": severity,
      tabindex: "0",
      "aria-selected": String(state.selected === alert.alert_id),
      class: `alert-row sev-row-${severity}`,
    });
    const severityCell = el("td");
    severityCell.append(severityBadge(alert.severity));
    const subjectCell = el("td", { class: "subject" });
    subjectCell.append(el("span", {}, alert.subject || ""));
    if (alert.subject_kind) {
      const kind = has(`subject.${alert.subject_kind}`) ? t(`subject.${alert.subject_kind}`) : alert.subject_kind;
      subjectCell.append(el("span", { class: "muted" }, ` (${kind})`));
    }
    row.append(
      severityCell,
      ruleCell(alert.rule || ""),
      subjectCell,
      facilitiesCell(alert.facility_ids || []),
      windowCell(alert),
      el("td", { class: "num", "data-testid": "evidence-count" }, String(alert.evidence_count || 0)),
      el("td", { class: "summary", "data-testid": "alert-summary" }, summaryText(alert)),
      el("td", { class: `alert-status st-${STATUS[view.status] || "unknown"}` }, statusText(view)),
    );
    const choose = () => selectAlert(alert.alert_id);
    row.addEventListener("click", choose);
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose();
      }
    });
    return row;
  }

  /** The rule in words, with its name beneath: the name is what the Rule filter takes. */
  function ruleCell(rule) {
    const cell = el("td", { class: "rule" });
    cell.append(el("span", {}, ruleName(rule)));
    if (has(`rule.${rule}`)) cell.append(el("code", { class: "rule-id" }, rule));
    return cell;
  }

  function facilitiesCell(ids) {
    const cell = el("td", { class: "facility-list" });
    ids.forEach((id, i) => cell.append(el("span", {}, i + 1 < ids.length ? `${id}, ` : id)));
    return cell;
  }

  function selectAlert(id) {
    const entry = state.views.get(id);
    if (!entry) return;
    state.selected = id;
    for (const row of $("alert-rows").children) {
      row.setAttribute("aria-selected", String(row.dataset.alertId === id));
    }
    showEvidence(entry.view);
  }

  function showEvidence(view) {
    const alert = view.alert;
    const evidence = alert.evidence || [];
    const panel = $("evidence");
    panel.dataset.alertId = alert.alert_id;
    $("evidence-heading").textContent = t("evidence.title", {
      rule: ruleName(alert.rule),
      subject: alert.subject,
      revision: alert.revision,
    });
    const total = alert.evidence_count || evidence.length;
    const shown =
      evidence.length < total
        ? t("evidence.some", { shown: evidence.length, total })
        : t(total === 1 ? "evidence.all.one" : "evidence.all", { total });
    $("evidence-summary").textContent = `${summaryText(alert)} ${shown}`.trim();
    $("evidence-rows").replaceChildren(
      ...evidence.map((item) => {
        const row = el("tr", { "data-testid": "evidence-row", "data-event-id": item.event_id || "" });
        const idCell = el("td");
        idCell.append(el("code", {}, item.event_id || ""));
        row.append(
          el("td", { class: "time" }, vnTime(item.occurred_at)),
          el("td", {}, has(`kind.${item.kind}`) ? t(`kind.${item.kind}`) : item.kind || ""),
          el("td", {}, item.facility_id || ""),
          el("td", {}, item.kiosk_id || ""),
          detailCell(item.detail || ""),
          idCell,
        );
        return row;
      }),
    );
    const status = STATUS[view.status] || "unknown";
    $("acknowledge").disabled = status !== "open";
    $("close-alert").disabled = status === "closed";
    panel.hidden = false;
  }

  /** An evidence line in the chosen language, and beneath it what each result code in it means. */
  function detailCell(detail) {
    const cell = el("td", { class: "detail" });
    const { text, codes } = translateDetail(detail);
    cell.append(el("span", {}, text));
    const known = codes.filter((code) => state.reasons.has(code));
    if (known.length) {
      const texts = known.map((code) => `${code}: ${state.reasons.get(code)[state.lang]}`).join("; ");
      cell.append(el("span", { class: "reason-texts", "data-testid": "reason-texts" }, texts));
    }
    return cell;
  }

  function translateDetail(detail) {
    const checkIn = CHECK_IN_DETAIL.exec(detail);
    if (checkIn) {
      const [, verdict, codeList, token] = checkIn;
      const codes = codeList ? codeList.split(", ").filter(Boolean) : [];
      const parts = [[t(`verdict.${verdict}`), codes.join(", ")].filter(Boolean).join(" ")];
      if (token) parts.push(t("detail.token", { token }));
      return { text: parts.join(", "), codes };
    }
    const face = FACE_DETAIL.exec(detail);
    if (face) {
      const [, score, outcome, liveness] = face;
      const number = Number(score);
      const parts = [t("face.score", { score: Number.isNaN(number) ? score : decimal(number, 2) }), t(`face.${outcome}`)];
      if (liveness) parts.push(t("face.liveness", { liveness }));
      return { text: parts.join(", "), codes: [] };
    }
    return { text: detail, codes: [] };
  }

  // ---- session and staff actions -------------------------------------------------------------

  function goToLogin(ended) {
    if (state.source) state.source.close();
    state.source = null;
    window.location.replace(ended ? "login?ended=1" : "login");
  }

  /** Who is logged in, and the CSRF token; false (and off to the login page) without a session. */
  async function loadSession() {
    const response = await fetch("api/session", { credentials: "same-origin" });
    if (response.status === 401) {
      goToLogin(true);
      return false;
    }
    if (!response.ok) throw new Error(`api/session answered ${response.status}`);
    state.session = await response.json();
    $("signed-in-as").textContent = t("session.who", { username: state.session.username });
    return true;
  }

  /** POST with the session's CSRF token; the JSON answer, or null once sent to the login page. */
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": state.session ? state.session.csrf_token : "" },
      body: JSON.stringify(body),
    });
    if (response.status === 401) {
      goToLogin(true);
      return null;
    }
    let answer = {};
    try {
      answer = await response.json();
    } catch (_) {
      answer = { error: `HTTP ${response.status}` };
    }
    if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  /** Acknowledge or close the selected alert; the answer is shown at once, the stream confirms it. */
  async function act(verb) {
    const id = state.selected;
    if (!id) return;
    const error = $("action-error");
    error.hidden = true;
    const body = { note: $("action-note").value.trim() };
    if (verb === "close") body.resolution = $("action-resolution").value;
    try {
      const view = await post(`api/alerts/${encodeURIComponent(id)}/${verb}`, body);
      if (!view) return;
      $("action-note").value = "";
      onNotice({ alert: view, replayed: false });
    } catch (e) {
      error.textContent = t("actions.failed", { error: e.message });
      error.hidden = false;
    }
  }

  async function logOut() {
    // Close the stream first: the logout ends it server-side, and its "session_ended" must not
    // race this to the login page (which would then say the session ran out).
    if (state.source) state.source.close();
    state.source = null;
    try {
      await post("logout", {});
    } finally {
      goToLogin(false);
    }
  }

  // ---- facility statistics -----------------------------------------------------------------

  function onStats(data) {
    state.stats = data;
    drawStats(data);
    showWarning("");
  }

  function drawStats(data) {
    const facilities = data.facilities || [];
    const container = $("facility-cards");
    container.replaceChildren(...facilities.map(facilityCard));
    const now = new Date(Date.now() + VIETNAM_OFFSET_MS).toISOString().slice(11, 19);
    $("stats-note").textContent = facilities.length
      ? t(facilities.length === 1 ? "stats.note.one" : "stats.note", { count: facilities.length, time: now })
      : t("stats.none");
  }

  function facilityCard(f) {
    const card = el("article", {
      class: "facility-card",
      "data-testid": `facility-${f.facility_id}`,
      "aria-labelledby": `facility-${f.facility_id}-name`,
    });
    const title = el("h3", { id: `facility-${f.facility_id}-name` }, f.facility_id);
    title.append(el("span", { class: "muted" }, ` ${t("stats.province", { province: f.province })}`));
    const facts = el("dl", { class: "facts" });
    const fact = (label, value, testid) => {
      facts.append(el("dt", {}, label), el("dd", { "data-testid": testid }, value));
    };
    fact(t("stats.checkins"), String(f.checkins), "checkins");
    fact(t("stats.reject_rate"), `${percent(f.reject_rate)} (${f.rejected}/${f.checkins})`, "reject-rate");
    fact(
      t("stats.face_mismatch_rate"),
      `${percent(f.face_mismatch_rate)} (${f.face_mismatches}/${f.face_attempts})`,
      "face-mismatch-rate",
    );
    fact(t("stats.latest"), f.latest_at ? vnTime(f.latest_at) : "—", "latest-at");
    card.append(
      title,
      facts,
      chart(t("stats.per_minute"), f.checkins_per_minute || [], "sparkline", "minute"),
      chart(t("stats.scores"), f.face_score_buckets || [], "score-buckets", "bucket"),
    );
    return card;
  }

  /** A labelled row of bars; the exact counts are in the label for screen readers and on hover. */
  function chart(caption, counts, testid, unit) {
    const figure = el("figure", { class: `chart chart-${testid}` });
    const width = 150;
    const height = 32;
    const max = Math.max(1, ...counts);
    const step = counts.length ? width / counts.length : width;
    const svg = svgEl("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": `${caption}: ${counts.join(", ") || t("chart.no_data")}`,
      "data-testid": testid,
    });
    counts.forEach((count, i) => {
      const h = count ? Math.max(1, (count / max) * (height - 1)) : 0;
      const bar = svgEl("rect", {
        x: (i * step + 0.5).toFixed(2),
        y: (height - h).toFixed(2),
        width: Math.max(1, step - 1).toFixed(2),
        height: h.toFixed(2),
        class: "bar",
        "data-count": count,
      });
      const tip = svgEl("title");
      tip.textContent =
        unit === "bucket" ? `${decimal(i / 10, 1)}–${decimal((i + 1) / 10, 1)}: ${count}` : `${count}`;
      bar.append(tip);
      svg.append(bar);
    });
    svg.append(svgEl("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }));
    figure.append(svg, el("figcaption", {}, caption));
    return figure;
  }

  // ---- start --------------------------------------------------------------------------------

  async function start() {
    state.lang = initialLanguage();
    applyLanguage();
    $("lang-switch").addEventListener("click", switchLanguage);
    try {
      if (!(await loadSession())) return;
    } catch (_) {
      showWarning(t("warning.unreachable")); // the stream below retries, and says when it is back
    }
    $("logout").addEventListener("click", logOut);
    $("acknowledge").addEventListener("click", () => act("acknowledge"));
    $("close-alert").addEventListener("click", () => act("close"));
    loadReasons();
    loadFiltersFromUrl();
    const form = $("filters");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      const query = filterParams().toString();
      window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
      connect();
    });
    form.addEventListener("reset", () => {
      // After the browser has cleared the fields.
      setTimeout(() => form.requestSubmit(), 0);
    });
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
