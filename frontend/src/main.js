// The sps-rules workbench: edit a draft rule file beside its source, try it, test it, see its effect, save it.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { keymap, hoverTooltip } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, setDiagnostics } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { SchemaIndex, schemaCompletion, schemaHover } from "./schema.js";
import { buildForm } from "./form.js";

const $ = (id) => document.getElementById(id);
const STATUS_DA = {
  eligible: "I målgruppen", not_eligible: "Ikke i målgruppen", undetermined: "Kan ikke afgøres endnu",
  met: "opfyldt", not_met: "ikke opfyldt", unknown: "uafklaret",
  default: "udgangspunkt", permitted: "tilladt", exception: "undtagelse",
  computed: "beregnet", missing_anchor: "mangler startdato",
  true: "sand", false: "falsk",
};
const da = (v) => STATUS_DA[v] || v;
const ASPECTS = { eligibility: "Målgruppe", support_forms: "Støtteformer", exclusions: "Udelukket", referrals: "Henvisninger",
  deadlines: "Frister" };

const state = { index: null, factsForm: null, sources: null, ruleset: "", file: "", checking: 0 };

// --- talking to the service -----------------------------------------------------------------------

// A server started with API keys wants one with every /v1 request: the user pastes it into the
// field «API-nøgle»; it is kept in this tab only (sessionStorage) and sent as X-API-Key.
const KEY_STORE = "sps-rules-api-key";
const apiKey = () => sessionStorage.getItem(KEY_STORE) || "";
const NEEDS_KEY = "Serveren kræver en API-nøgle. Indsæt nøglen i feltet «API-nøgle» øverst, og vælg «Brug nøglen».";
const WRONG_KEY = "Serveren afviste API-nøglen. Kontrollér nøglen i feltet «API-nøgle» øverst, og vælg «Brug nøglen».";

async function api(path, body) {
  const headers = body === undefined ? {} : { "content-type": "application/json" };
  if (apiKey()) headers["x-api-key"] = apiKey();
  const init = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(res.status === 401 ? (apiKey() ? WRONG_KEY : NEEDS_KEY) : data.detail || data.title || `HTTP ${res.status}`);
    err.status = res.status;
    err.data = data;
    if (res.status === 401) { $("key-box").open = true; $("api-key").setAttribute("aria-invalid", "true"); }
    throw err;
  }
  return data;
}

// The draft stands where it would be saved; a name that could not be saved is checked as <ruleset>-kladde.yaml.
const SAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.yaml$/;
const draftName = () => { const n = $("save-name").value.trim(); return SAVE_NAME.test(n) && !n.includes("..") ? n : `${state.ruleset}-kladde.yaml`; };
const draft = () => ({ ruleset: state.ruleset, name: draftName(), text: view.state.doc.toString() });

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// --- the editor -----------------------------------------------------------------------------------

function problemText(f) {
  return f.message + (f.hint ? ` (hint: ${f.hint})` : "");
}

// Markers come in two passes: 250 ms after a pause in typing the quick pass (everything but the run
// over 1,500 generated citizens, tens of milliseconds on the server) and, once the text has stayed
// the same a little longer, the full pass (as `sps-rules validate`): it reports each quick finding in
// the same words, and its markers replace the quick ones where it finds more (what only the population
// run finds). An answer for a text that has changed since it was asked for is dropped.
const QUICK_DELAY = 250;
const FULL_AFTER = 300;

function toDiagnostics(doc, findings) {
  return findings.map((f) => {
    const line = doc.line(Math.min(Math.max(f.line, 1), doc.lines));
    const from = f.line ? Math.min(line.from + Math.max(f.column - 1, 0), line.to) : 0;
    return { from, to: f.line ? line.to : Math.min(doc.length, line.to), severity: f.severity, source: "sps-rules validate", message: problemText(f) };
  });
}

function showProblems(result) {
  const list = $("problems");
  list.replaceChildren(...result.findings.map((f) => el("li", { class: f.severity },
    el("button", { class: "linklike", type: "button", onclick: () => goToLine(f.line || 1) },
      f.line ? `linje ${f.line}:${f.column}` : "filen"),
    `: ${f.severity === "warning" ? "advarsel: " : ""}${problemText(f)}`)));
  if (!result.findings.length) list.replaceChildren(el("li", { text: "Ingen problemer: kladden er gyldig." }));
  $("checks").textContent = result.checks === "quick"
    ? "Hurtig kontrol. Den fulde kontrol med 1.500 eksempelborgere følger …"
    : "Fuld kontrol, som sps-rules validate.";
}

async function check(d, checks) {
  return api("/v1/validate", { ruleset: d.ruleset, filename: d.name, text: d.text, checks });
}

async function validateDraft(v) {
  if (!state.ruleset) return [];
  const ticket = ++state.checking;
  const doc = v.state.doc;
  const d = draft();
  let quick;
  try {
    quick = await check(d, "quick");
  } catch (err) {
    if (ticket === state.checking) status(`Kunne ikke kontrollere kladden: ${err.message}`, true);
    return [];
  }
  if (ticket !== state.checking || view.state.doc !== doc) return [];
  showProblems(quick);
  if (quick.ok) refreshSources(); // an invalid draft keeps the last good view of its source
  setTimeout(() => fullCheck(ticket, doc, d, JSON.stringify(quick.findings)), FULL_AFTER);
  return toDiagnostics(doc, quick.findings);
}

async function fullCheck(ticket, doc, d, quickFindings) {
  if (ticket !== state.checking || view.state.doc !== doc) return; // typed on: a newer quick pass is under way
  let full;
  try {
    full = await check(d, "full");
  } catch (err) {
    if (ticket === state.checking) status(`Den fulde kontrol mislykkedes: ${err.message}`, true);
    return;
  }
  if (ticket !== state.checking || view.state.doc !== doc) return;
  showProblems(full);
  if (JSON.stringify(full.findings) === quickFindings) return; // the same markers: leave them (and an open tooltip) be
  view.dispatch(setDiagnostics(view.state, toDiagnostics(doc, full.findings)));
}

const view = new EditorView({
  parent: $("editor"),
  state: EditorState.create({
    doc: "",
    extensions: [
      basicSetup,
      EditorView.lineWrapping,
      keymap.of([indentWithTab]),
      yaml(),
      lintGutter(),
      linter(validateDraft, { delay: QUICK_DELAY }),
      autocompletion({ override: [schemaCompletion(() => state.index)] }),
      hoverTooltip(schemaHover(() => state.index)),
      EditorView.contentAttributes.of({ "aria-labelledby": "editor-label" }),
      EditorView.updateListener.of((u) => { if (u.selectionSet || u.docChanged) highlightRule(); }),
    ],
  }),
});

function goToLine(n) {
  selectTab("tab-edit");
  const line = view.state.doc.line(Math.min(Math.max(n, 1), view.state.doc.lines));
  view.dispatch({ selection: { anchor: line.from }, effects: EditorView.scrollIntoView(line.from, { y: "center" }) });
  view.focus();
}

// --- the source beside it -------------------------------------------------------------------------

async function refreshSources() {
  let data;
  try {
    data = await api("/v1/workbench/sources", draft());
  } catch {
    return; // an invalid draft keeps the last good view of its source
  }
  state.sources = data;
  const box = $("source");
  box.replaceChildren();
  for (const doc of data.documents) {
    box.append(el("div", { class: "doc-title", text: doc.title }));
    for (const s of doc.sentences) {
      if (!s.sentence) { box.append(el("div", { class: "sent short", text: s.text })); continue; }
      const cls = ["sent", s.rules.length ? "cited" : s.relevant ? "uncovered" : ""].join(" ").trim();
      const label = s.rules.length ? `Citeret af ${s.rules.length} regel/regler` : s.relevant ? "Ikke dækket af nogen regel" : "Ikke citeret";
      const b = el("button", { type: "button", class: cls, title: label, "aria-label": `${s.text} (${label})`, text: s.text,
        onclick: () => showCiting(s) });
      b.dataset.rules = s.rules.join(" ");
      box.append(b);
    }
  }
  highlightRule();
}

function showCiting(sentence) {
  const lines = new Map((state.sources?.rules || []).map((r) => [r.id, r.line]));
  const box = $("citing");
  if (!sentence.rules.length) {
    box.replaceChildren(el("p", { text: sentence.relevant ? "Ingen regel citerer denne sætning (ikke dækket)." : "Ingen regel citerer denne sætning." }));
    return;
  }
  box.replaceChildren(el("p", { text: "Regler, der citerer sætningen:" }),
    el("ul", {}, ...sentence.rules.map((id) => el("li", {},
      el("button", { type: "button", class: "linklike", onclick: () => goToLine(lines.get(id)) }, `${id} (linje ${lines.get(id)})`)))));
}

function ruleAtCursor() {
  if (!state.sources) return null;
  const line = view.state.doc.lineAt(view.state.selection.main.head).number;
  let found = null;
  for (const r of state.sources.rules) if (r.line <= line && (!found || r.line > found.line)) found = r;
  return found;
}

function highlightRule() {
  const rule = ruleAtCursor();
  let first = null;
  for (const b of $("source").querySelectorAll(".sent[data-rules]")) {
    const on = !!rule && b.dataset.rules.split(" ").includes(rule.id);
    b.classList.toggle("active", on);
    if (on && !first) first = b;
  }
  if (first) first.scrollIntoView({ block: "nearest" });
}

// --- try a citizen --------------------------------------------------------------------------------

function list(title, items, render) {
  if (!items.length) return null;
  return el("div", {}, el("h3", { text: title }), el("ul", {}, ...items.map((x) => el("li", {}, ...render(x)))));
}

function ruleLink(id, lines) {
  return lines[id] ? el("button", { type: "button", class: "linklike", onclick: () => goToLine(lines[id]), title: `Gå til linje ${lines[id]}` }, id) : id;
}

function renderDecision(data) {
  const d = data.decision;
  const lines = data.rule_lines;
  const cite = (src) => el("q", { text: src.quote });
  $("decision").replaceChildren(...[
    el("p", {}, el("span", { class: `badge ${d.eligibility}`, text: da(d.eligibility) }),
      ` ${d.ruleset.id}@${d.ruleset.version}, vurderet ${d.assessment_date}`),
    d.missing_facts.length ? el("p", { text: `Manglende oplysninger: ${d.missing_facts.join(", ")}` }) : null,
    list("Kriterier", d.criteria, (c) => [ruleLink(c.id, lines), `: ${da(c.status)}. ${c.reason} `, cite(c.source)]),
    list("Støtteformer", d.support_forms, (f) => [`${f.form} (${da(f.status)}): ${f.reason}`]),
    list("Udelukket", d.exclusions, (e) => [`${e.request}: ${e.reason}`, e.referral ? ` Henvises til ${e.referral.to}.` : ""]),
    list("Henvisninger", d.referrals, (r) => [`${r.to}: ${r.reason}`]),
    list("Frister", d.deadlines, (x) => [`${x.kind}: ${x.due || "ukendt"}${x.earliest ? ` (tidligst ${x.earliest})` : ""} – ${da(x.status)}. ${x.counting}`]),
    el("h3", { text: "Begrundelse" }), el("pre", { class: "reasons", text: data.reasons }),
    el("h3", { text: "Spor (regler i rækkefølge)" }),
    el("table", {}, el("thead", {}, el("tr", {}, ...["Regel", "Fra", "Betingelse", "Anvendt"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...d.trace.map((t) => el("tr", { class: t.fired ? "fired" : "" },
        el("td", {}, ruleLink(t.rule_id, lines)), el("td", { text: t.origin }), el("td", { text: da(t.result) }),
        el("td", { text: t.fired ? "ja" : "nej" }))))),
  ].filter(Boolean));
}

async function evaluateCitizen() {
  try {
    const data = await api("/v1/workbench/try", { ...draft(), facts: state.factsForm.get() });
    renderDecision(data);
    status("Borgeren er vurderet efter kladden.");
  } catch (err) {
    $("decision").replaceChildren(el("p", { class: "error", text: err.message }));
    status(`Vurderingen mislykkedes: ${err.message}`, true);
  }
}

// --- test -----------------------------------------------------------------------------------------

async function runTests() {
  status("Kører testtilfældene …");
  try {
    const r = await api("/v1/workbench/test", draft());
    const c = r.coverage;
    $("tests").replaceChildren(...[
      el("p", { class: "summary", text: `${r.passed} bestået, ${r.failed} fejlet, ${r.not_applicable} gælder en anden version` }),
      el("table", {}, el("thead", {}, el("tr", {}, ...["Resultat", "Testtilfælde", "Fil", "Afvigelser"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...r.cases.map((x) => el("tr", {},
          el("td", { class: x.status === "passed" ? "pass" : x.status === "failed" ? "fail" : "na",
            text: x.status === "passed" ? "bestået" : x.status === "failed" ? "fejlet" : "ikke relevant" }),
          el("td", { text: x.name }), el("td", { text: `${x.file}:${x.line}` }), el("td", { text: x.failures.join("; ") }))))),
      el("h3", { text: "Dækning" }),
      el("p", { text: `${c.rules_total - c.rules_unexercised.length} af ${c.rules_total} regler afprøves af mindst ét testtilfælde.` }),
      list("Regler uden testtilfælde", c.rules_unexercised, (id) => [id]) || el("p", { text: "Alle regler afprøves." }),
      list("Beslutningsrelevante sætninger, ingen regel citerer", c.uncited_relevant, (s) => [s]),
    ].filter(Boolean));
    status(r.failed ? `${r.failed} testtilfælde fejlede.` : "Alle relevante testtilfælde bestod.", r.failed > 0);
  } catch (err) {
    $("tests").replaceChildren(el("p", { text: err.message }));
    status(`Testkørslen mislykkedes: ${err.message}`, true);
  }
}

async function addCase() {
  const name = $("case-name").value.trim();
  if (name.length < 3) { status("Giv testtilfældet et navn på mindst 3 tegn.", true); $("case-name").focus(); return; }
  try {
    const r = await api("/v1/workbench/cases", { ...draft(), case_name: name, facts: state.factsForm.get() });
    await runTests();
    status(`Testtilfældet «${name}» er tilføjet til ${r.file}.`);
  } catch (err) {
    status(`Testtilfældet blev ikke tilføjet: ${err.message}`, true);
  }
}

// --- see the effect -------------------------------------------------------------------------------

async function runEffect() {
  status("Sammenligner med den frigivne version …");
  try {
    const r = await api("/v1/workbench/effect", draft());
    const sign = { added: "tilføjet", removed: "fjernet", changed: "ændret" };
    $("effect").replaceChildren(...[
      el("p", { text: `${r.old} → ${r.new}` }),
      list("Metadata", r.header, (h) => [h]),
      list("Ændrede regler", r.rules, (c) => [c.line ? ruleLink(c.rule_id, { [c.rule_id]: c.line }) : c.rule_id,
        ` ${sign[c.change]}${c.parts.length ? ` (${c.parts.join(", ")})` : ""}`]) || el("p", { text: "Ingen regler er ændret." }),
      el("h3", { text: `Virkning på ${r.population} eksempelborgere (seed ${r.seed}): ${r.changed} afgørelser ændres` }),
      r.citizens.length ? el("table", {}, el("thead", {}, el("tr", {}, ...["Borger", "Hvad ændres", "Før", "Efter"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...r.citizens.flatMap((c) => Object.entries(c.differs).map(([k, [a, b]], i) => el("tr", {},
          el("td", {}, i ? "" : el("details", {}, el("summary", { text: `#${c.citizen}` }),
            el("code", { class: "facts", text: JSON.stringify(c.facts, null, 1) }))),
          el("td", { text: ASPECTS[k] || k }),
          el("td", { text: Array.isArray(a) ? a.join(", ") || "–" : da(a) }),
          el("td", { text: Array.isArray(b) ? b.join(", ") || "–" : da(b) })))))) : null,
    ].filter(Boolean));
    status(`${r.changed} af ${r.population} eksempelborgere får en anden afgørelse.`);
  } catch (err) {
    $("effect").replaceChildren(el("p", { text: err.message }));
    status(`Sammenligningen mislykkedes: ${err.message}`, true);
  }
}

// --- save -----------------------------------------------------------------------------------------

async function save() {
  try {
    const r = await api("/v1/workbench/save", { ...draft(), name: $("save-name").value.trim() });
    status(`Gemt som ${r.file} (version ${r.version}).`);
    await loadRulesets(state.ruleset);
  } catch (err) {
    const problems = err.data?.problems?.map((p) => `linje ${p.line}: ${p.message}`).join("; ");
    status(`Ikke gemt: ${err.message}${problems ? ` – ${problems}` : ""}`, true);
  }
}

// --- tabs (arrow keys move between them) ----------------------------------------------------------

const tabs = [...document.querySelectorAll("[role=tab]")];
function selectTab(id) {
  for (const t of tabs) {
    const on = t.id === id;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
}
for (const t of tabs) {
  t.addEventListener("click", () => selectTab(t.id));
  t.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(t);
    const next = e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length] : e.key === "ArrowLeft" ? tabs[(i - 1 + tabs.length) % tabs.length]
      : e.key === "Home" ? tabs[0] : e.key === "End" ? tabs[tabs.length - 1] : null;
    if (next) { e.preventDefault(); selectTab(next.id); next.focus(); }
  });
}

// --- choosing a rule set and a version ------------------------------------------------------------

let catalogue = [];

async function loadRulesets(keep) {
  catalogue = await api("/v1/workbench/rulesets");
  const sel = $("ruleset");
  sel.replaceChildren(...catalogue.map((r) => el("option", { value: r.ruleset, text: r.ruleset })));
  sel.value = keep || (catalogue.find((r) => r.ruleset !== "national") || catalogue[0]).ruleset;
  fillFiles();
}

function fillFiles() {
  const entry = catalogue.find((r) => r.ruleset === $("ruleset").value);
  $("file").replaceChildren(...entry.files.map((f) => el("option", { value: f.name, text: `${f.name} (frigivet)` })));
  $("file").value = entry.files[entry.files.length - 1].name;
}

async function openFile() {
  const ruleset = $("ruleset").value;
  const file = $("file").value;
  const data = await api(`/v1/workbench/rulesets/${encodeURIComponent(ruleset)}/files/${encodeURIComponent(file)}`);
  state.ruleset = ruleset; // from here on the linter checks the draft (never the empty editor before it)
  state.file = file;
  $("save-name").value = `${state.ruleset}-kladde.yaml`;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: data.text } });
  status(`${state.file} er åbnet som kladde. Den frigivne fil ændres ikke; kladden gemmes under et nyt navn.`);
  const presets = await api(`/v1/workbench/rulesets/${encodeURIComponent(state.ruleset)}/presets`);
  state.presets = presets;
  $("preset").replaceChildren(el("option", { value: "", text: "(vælg et eksempel)" }),
    ...presets.map((p, i) => el("option", { value: String(i), text: p.name })));
}

// --- the API key (only when the server asks for one) ---------------------------------------------

let started = false;
let starting = null; // the load under way, so that a second «Brug nøglen» does not start another

function useKey() {
  const key = $("api-key").value.trim();
  if (!/^[\x21-\x7e]*$/.test(key)) {
    $("api-key").setAttribute("aria-invalid", "true");
    status("En API-nøgle består kun af bogstaverne a-z, A-Z, cifre og tegn uden mellemrum (ingen æ, ø, å). Kontrollér den indsatte nøgle.", true);
    return;
  }
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
  $("api-key").removeAttribute("aria-invalid");
  if (!started) {
    starting ??= load().catch(failed).finally(() => { starting = null; });
    return;
  }
  status(key ? "API-nøglen bruges nu." : "Der sendes ingen API-nøgle.");
}

function failed(err) {
  status(`Værkstedet kunne ikke starte: ${err.message}`, true);
  if (err.status === 401) $("api-key").focus();
}

function wire() {
  $("api-key").value = apiKey();
  $("use-key").addEventListener("click", useKey);
  $("api-key").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); useKey(); } });
  $("ruleset").addEventListener("change", async () => { fillFiles(); await openFile(); });
  $("file").addEventListener("change", openFile);
  $("preset").addEventListener("change", () => {
    const p = state.presets[Number($("preset").value)];
    if (p) state.factsForm.set(p.facts);
  });
  $("evaluate").addEventListener("click", evaluateCitizen);
  $("run-tests").addEventListener("click", runTests);
  $("add-case").addEventListener("click", addCase);
  $("run-effect").addEventListener("click", runEffect);
  $("save").addEventListener("click", save);
}

async function load() {
  const [rulesSchema, factsSchema] = await Promise.all([api("/v1/schemas/ruleset"), api("/v1/schemas/facts")]);
  state.index = new SchemaIndex(rulesSchema);
  state.factsForm = buildForm($("facts"), factsSchema);
  await loadRulesets(new URLSearchParams(location.search).get("ruleset"));
  await openFile();
  started = true;
}

wire();
starting = load().catch(failed).finally(() => { starting = null; });
