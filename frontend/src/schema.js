// Completion and hover for YAML rule files, driven by the rule-file JSON Schema (GET /v1/schemas/ruleset).
// The YAML path at the cursor is read from indentation: enough for the block style rule files use.

const KEY_LINE = /^(\s*)((?:-\s+)*)([A-Za-z_][\w.]*)\s*:(.*)$/;
const ITEM_LINE = /^(\s*)((?:-\s*)+)(.*)$/;

function stripComment(line) {
  const i = line.search(/(^|\s)#/);
  return i < 0 ? line : line.slice(0, i);
}

/** The path of keys ("[]" for a list item) that encloses content at `indent` on line `lineNo` (1-based). */
export function enclosingPath(doc, lineNo, indent) {
  const path = [];
  for (let n = lineNo - 1; n >= 1 && indent > 0; n--) {
    const text = stripComment(doc.line(n).text);
    if (!text.trim()) continue;
    const raw = text.match(/^\s*/)[0].length;
    if (raw >= indent) continue;
    const key = text.match(KEY_LINE);
    const item = text.match(ITEM_LINE);
    if (item && item[2]) {
      const content = raw + item[2].length;
      if (key && content < indent) path.push(key[3]);
      path.push("[]");
    } else if (key) {
      path.push(key[3]);
    }
    indent = raw;
  }
  return path.reverse();
}

/** Where the cursor stands: the path of its mapping, whether it is at a key or a value, and which key. */
export function locate(state, pos) {
  const line = state.doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  const item = before.match(/^(\s*)((?:-\s+)*)/);
  const content = item[0].length;
  let path = enclosingPath(state.doc, line.number, item[1].length + (item[2] ? 1 : 0));
  if (item[2]) path = path.concat(Array(item[2].split("-").length - 1).fill("[]"));
  const value = before.slice(content).match(/^([A-Za-z_][\w.]*)\s*:\s*(.*)$/);
  if (value) return { path, key: value[1], atValue: true, word: value[2], from: pos - value[2].length };
  const word = before.slice(content).match(/[\w.]*$/)[0];
  return { path, key: null, atValue: false, word, from: pos - word.length };
}

export class SchemaIndex {
  constructor(schema) {
    this.schema = schema;
  }

  resolve(node, seen = 0) {
    if (!node || seen > 12) return [];
    if (node.$ref) {
      const name = node.$ref.replace(/^#\/\$defs\//, "");
      return this.resolve((this.schema.$defs || {})[name], seen + 1);
    }
    const parts = node.anyOf || node.oneOf || node.allOf;
    if (parts) return parts.flatMap((p) => this.resolve(p, seen + 1)).map((p) => ({ ...p, description: p.description || node.description }));
    return [node];
  }

  at(path) {
    let nodes = this.resolve(this.schema);
    for (const part of path) {
      const next = [];
      for (const node of nodes) {
        if (part === "[]") {
          if (node.items) next.push(...this.resolve(node.items));
        } else if (node.properties && node.properties[part]) {
          next.push(...this.resolve(node.properties[part]));
        } else if (node.additionalProperties && typeof node.additionalProperties === "object") {
          next.push(...this.resolve(node.additionalProperties));
        }
      }
      nodes = next;
    }
    return nodes;
  }

  keys(path) {
    const out = new Map();
    for (const node of this.at(path)) {
      for (const [name, prop] of Object.entries(node.properties || {})) {
        if (!out.has(name)) {
          const resolved = this.resolve(prop);
          out.set(name, {
            description: prop.description || resolved.map((r) => r.description).find(Boolean) || prop.title || "",
            required: (node.required || []).includes(name),
          });
        }
      }
    }
    return out;
  }

  values(path) {
    const out = new Set();
    for (const node of this.at(path)) {
      for (const v of node.enum || []) out.add(v);
      if (node.const !== undefined) out.add(node.const);
      if (node.type === "boolean") { out.add(true); out.add(false); }
    }
    return [...out];
  }

  describe(path) {
    const nodes = this.at(path);
    const text = nodes.map((n) => n.description || n.title).find(Boolean) || "";
    const types = [...new Set(nodes.map((n) => n.type || (n.properties ? "object" : null)).filter(Boolean))];
    return { text, types };
  }
}

export function schemaCompletion(getIndex) {
  return (context) => {
    const index = getIndex();
    if (!index) return null;
    const where = locate(context.state, context.pos);
    if (!where.atValue && !where.word && !context.explicit) return null;
    if (where.atValue) {
      const values = index.values([...where.path, where.key]);
      if (!values.length) return null;
      return {
        from: where.from,
        options: values.map((v) => ({ label: String(v), type: "enum", detail: "tilladt værdi" })),
        validFor: /^[\w.-]*$/,
      };
    }
    const keys = index.keys(where.path);
    if (!keys.size) return null;
    return {
      from: where.from,
      options: [...keys].map(([name, info]) => ({
        label: name,
        apply: name + ": ",
        type: "property",
        detail: info.required ? "påkrævet" : "",
        info: info.description || undefined,
      })),
      validFor: /^[\w.]*$/,
    };
  };
}

export function schemaHover(getIndex) {
  return (view, pos) => {
    const index = getIndex();
    if (!index) return null;
    const line = view.state.doc.lineAt(pos);
    const m = line.text.match(KEY_LINE);
    if (!m) return null;
    const start = line.from + m[1].length + m[2].length;
    const end = start + m[3].length;
    if (pos < start || pos > end) return null;
    const where = locate(view.state, start);
    const info = index.describe([...where.path, m[3]]);
    if (!info.text && !info.types.length) return null;
    return {
      pos: start,
      end,
      above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "cm-schema-hover";
        const title = document.createElement("strong");
        title.textContent = m[3] + (info.types.length ? ` (${info.types.join(" | ")})` : "");
        const body = document.createElement("div");
        body.textContent = info.text || "Ingen beskrivelse i skemaet.";
        dom.append(title, body);
        return { dom };
      },
    };
  };
}
