// Validates an AsyncAPI document with the official parser (@asyncapi/parser): prints every
// diagnostic as "severity path: message" and exits 1 when any is an error.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];
const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs <asyncapi.json>");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
for (const found of diagnostics) {
  const where = found.path.length ? found.path.join(".") : "(document)";
  console.log(`${SEVERITY[found.severity] ?? found.severity} ${where}: ${found.message}`);
}
const errors = diagnostics.filter((found) => found.severity === 0).length;
if (errors || !document) {
  console.log(`${file}: ${errors} error(s)`);
  process.exit(1);
}
console.log(
  `${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ` +
    `${document.operations().length} operations, ${document.components().messages().length} messages`,
);
