#!/usr/bin/env node
// What editors run on a handbook file: the `yaml` package reads it (YAML 1.2, as
// yaml-language-server does) and ajv with ajv-formats checks it against normsctl's draft-07
// schema. Used by tests/cli/forge_schema_agreement.rs.
//
//   node .ci/schema-check.cjs SCHEMA_DIR < requests.json
//
// requests.json: [{"schema": "policy"|"roster"|"settings", "file": "/abs/path.yaml"}, ...]
// stdout: [{"file", "valid", "errors": [{"path", "message"}]}, ...] in the same order.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const dir = process.argv[2];
// strictSchema catches a keyword the draft does not have; the other strict checks are style.
const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
// yaml-language-server's extension: the message an editor shows when a subschema fails.
ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
const validators = {};
for (const kind of ["policy", "roster", "settings"]) {
  const schema = JSON.parse(fs.readFileSync(path.join(dir, `${kind}.schema.json`), "utf8"));
  validators[kind] = ajv.compile(schema);
}

const requests = JSON.parse(fs.readFileSync(0, "utf8"));
const answers = requests.map(({ schema, file }) => {
  const doc = YAML.parse(fs.readFileSync(file, "utf8"), { version: "1.2", schema: "core" });
  const validate = validators[schema];
  const valid = validate(doc);
  const errors = (validate.errors || []).map((e) => ({ path: e.instancePath, message: e.message }));
  return { file, valid, errors };
});
process.stdout.write(JSON.stringify(answers));
