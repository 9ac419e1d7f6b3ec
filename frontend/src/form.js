// A facts form built from the citizen-facts JSON Schema (GET /v1/schemas/facts). No framework.

export const LABELS = {
  assessment_date: "Vurderingsdato",
  birth_date: "Fødselsdato",
  resident_municipality: "Bopælskommune",
  function_levels: "Funktionsevneniveau (FFB)",
  support_need_level: "Støttebehovsniveau (FFB)",
  special_social_problems: "Særlige sociale problemer",
  can_participate_actively: "Kan deltage aktivt",
  wants_to_participate: "Ønsker at deltage",
  can_participate_in_group: "Kan deltage i gruppeforløb",
  need_met_by_less_intrusive_offer: "Behovet kan dækkes af et mindre indgribende tilbud",
  needs: "Behov",
  requests: "Ønsker om støtte",
  support_start_date: "Støtten startede",
  last_support_used_date: "Støtten sidst brugt",
  decision_notified_date: "Afgørelsen modtaget",
  complaint_received_date: "Klage modtaget",
  home_is_safe_workplace: "Hjemmet er en sikker arbejdsplads",
  physical_functions: "Kropslige funktioner",
  mental_functions: "Mentale funktioner",
  self_care: "Egenomsorg",
  practical_tasks: "Praktiske opgaver",
  mobility: "Mobilitet",
  communication: "Kommunikation",
  relations: "Relationer",
  community_life: "Samfundsliv",
};

// Danish help under a field; the schema's own descriptions are English, for developers.
const HINTS = {
  assessment_date: "Dagen for vurderingen. Den vælger regelsættets version, og alderen regnes på den.",
  resident_municipality: "Kommunens kortnavn, fx roskilde, gentofte, faaborg_midtfyn.",
  function_levels: "0 ingen, 1 let, 2 moderat, 3 svær, 4 fuldstændig nedsat funktionsevne; tomt er ikke vurderet.",
  support_need_level: "0 intet, 1 let, 2 moderat, 3 højt, 4 fuldstændigt støttebehov.",
  need_met_by_less_intrusive_offer: "Fx af kommunens åbne tilbud.",
  decision_notified_date: "Den dag borgeren modtog afgørelsen (klagefristen regnes herfra).",
};

let counter = 0;

function resolve(schema, node) {
  if (node && node.$ref) return resolve(schema, schema.$defs[node.$ref.replace("#/$defs/", "")]);
  return node || {};
}

/** The non-null variant of a field and whether the field may be null (unknown). */
function variant(schema, prop) {
  const parts = prop.anyOf ? prop.anyOf.map((p) => resolve(schema, p)) : [resolve(schema, prop)];
  const real = parts.filter((p) => p.type !== "null");
  return { node: real[0] || {}, nullable: parts.length !== real.length };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function labelled(name, control, hint) {
  const id = control.id;
  const wrap = el("div", { class: "field" }, el("label", { for: id, text: LABELS[name] || name }), control);
  if (hint) {
    const hid = id + "-hint";
    control.setAttribute("aria-describedby", hid);
    wrap.append(el("small", { id: hid, class: "hint", text: hint }));
  }
  return wrap;
}

function field(schema, name, prop, required) {
  const { node } = variant(schema, prop);
  const id = `f-${name}-${++counter}`;
  const hint = HINTS[name] || "";
  if (node.type === "string" && node.format === "date") {
    const input = el("input", { type: "date", id, name });
    if (required) input.required = true;
    return { dom: labelled(name, input, hint), get: () => input.value || null, set: (v) => { input.value = v || ""; } };
  }
  if (node.type === "boolean") {
    const sel = el("select", { id, name });
    for (const [v, t] of [["", "ukendt"], ["true", "ja"], ["false", "nej"]]) sel.append(el("option", { value: v, text: t }));
    return {
      dom: labelled(name, sel, hint),
      get: () => (sel.value === "" ? null : sel.value === "true"),
      set: (v) => { sel.value = v === true ? "true" : v === false ? "false" : ""; },
    };
  }
  if (node.enum && node.type !== "array") {
    const sel = el("select", { id, name });
    sel.append(el("option", { value: "", text: "ikke vurderet" }));
    for (const v of node.enum) sel.append(el("option", { value: String(v), text: String(v) }));
    return {
      dom: labelled(name, sel, hint),
      get: () => (sel.value === "" ? null : node.type === "integer" ? Number(sel.value) : sel.value),
      set: (v) => { sel.value = v === null || v === undefined ? "" : String(v); },
    };
  }
  if (node.type === "array") {
    const items = resolve(schema, node.items);
    const known = el("select", { id, name });
    known.append(el("option", { value: "", text: "ikke oplyst" }), el("option", { value: "yes", text: "oplyst (de afkrydsede)" }));
    const boxes = (items.enum || []).map((v) => {
      const bid = `${id}-${v}`;
      const box = el("input", { type: "checkbox", id: bid, value: v });
      box.addEventListener("change", () => { if (box.checked) known.value = "yes"; });
      return { v, box, dom: el("span", { class: "check" }, box, el("label", { for: bid, text: v })) };
    });
    const set = el("fieldset", { class: "checks" }, el("legend", { text: LABELS[name] || name }), labelled(name, known, hint),
      ...boxes.map((b) => b.dom));
    return {
      dom: set,
      get: () => (known.value === "" ? null : boxes.filter((b) => b.box.checked).map((b) => b.v)),
      set: (v) => {
        known.value = Array.isArray(v) ? "yes" : "";
        for (const b of boxes) b.box.checked = Array.isArray(v) && v.includes(b.v);
      },
    };
  }
  if (node.type === "object" && node.properties) {
    const parts = Object.entries(node.properties).map(([k, p]) => [k, field(schema, k, p, false)]);
    const set = el("fieldset", { class: "group" }, el("legend", { text: LABELS[name] || name }), ...parts.map(([, f]) => f.dom));
    return {
      dom: set,
      get: () => {
        const out = {};
        for (const [k, f] of parts) { const v = f.get(); if (v !== null) out[k] = v; }
        return Object.keys(out).length ? out : null;
      },
      set: (v) => { for (const [k, f] of parts) f.set(v ? v[k] : null); },
    };
  }
  const input = el("input", { type: "text", id, name, autocomplete: "off" });
  if (node.pattern) input.pattern = node.pattern;
  return { dom: labelled(name, input, hint), get: () => input.value.trim() || null, set: (v) => { input.value = v || ""; } };
}

/** Build the form into `container`; returns {get(): facts, set(facts)}. */
export function buildForm(container, schema) {
  const required = schema.required || [];
  const fields = Object.entries(schema.properties).map(([name, prop]) => [name, field(schema, name, prop, required.includes(name))]);
  container.replaceChildren(...fields.map(([, f]) => f.dom));
  return {
    get() {
      const out = {};
      for (const [k, f] of fields) { const v = f.get(); if (v !== null) out[k] = v; }
      return out;
    },
    set(facts) {
      for (const [k, f] of fields) f.set(facts[k] ?? null);
    },
  };
}
