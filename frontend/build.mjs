// Bundle the workbench into ../src/sps_rules/workbench/static/ (committed; CI checks it is up to date).
// Deterministic: no timestamps, no source maps, a fixed esbuild version from package-lock.json.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("../src/sps_rules/workbench/static/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  legalComments: "none",
  charset: "utf8",
  outfile: `${out}workbench.js`,
  logLevel: "warning",
});
await build({ entryPoints: ["src/style.css"], bundle: true, minify: true, charset: "utf8", outfile: `${out}workbench.css`, logLevel: "warning" });
copyFileSync("index.html", `${out}index.html`);
