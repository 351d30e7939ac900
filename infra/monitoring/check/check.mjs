// Checks a Grafana dashboard JSON against Grafana's dashboard schema as @grafana/schema
// publishes it (the TypeScript types generated from Grafana's CUE kinds): the JSON becomes a
// TypeScript value of type Dashboard (the schema's enums read as their strings), and the
// compiler's errors (unknown fields, wrong types, missing required ones) are the findings.
// Prints them and exits 1 when there is any.
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const file = process.argv[2];
if (!file) {
  console.error("usage: node check.mjs <dashboard.json>");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const dashboard = JSON.parse(await readFile(file, "utf8"));
const source = `import type { Dashboard } from "@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen";
type Plain<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Plain<U>[]
  : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
export const dashboard: Plain<Dashboard> = ${JSON.stringify(dashboard, null, 1)};
`;
// Beside node_modules, so that the import resolves; removed when done.
const checked = join(here, `.dashboard-${process.pid}.ts`);
await writeFile(checked, source);
const program = ts.createProgram([checked], {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  typeRoots: [],
});
const findings = ts.getPreEmitDiagnostics(program);
for (const found of findings) {
  const text = ts.flattenDiagnosticMessageText(found.messageText, "\n");
  const where = found.file && found.start !== undefined
    ? `line ${found.file.getLineAndCharacterOfPosition(found.start).line + 1}: `
    : "";
  console.log(`${where}${text}`);
}
await rm(checked, { force: true });
if (findings.length) {
  console.log(`${file}: ${findings.length} finding(s) against Grafana's dashboard schema`);
  process.exit(1);
}
console.log(
  `${file}: valid against @grafana/schema's Dashboard (schemaVersion ${dashboard.schemaVersion}, ` +
    `${dashboard.panels.length} panels)`,
);
