// tests/oracle/oracle.js ENGINE NAME CORPUS.jsonl - encodes every document
// (a JSON string per line) with a reference tokenizer and prints one JSON
// array of ids per line.  ENGINE: tiktoken (npm tiktoken, WASM,
// encode_ordinary; NAME an encoding), hf (@huggingface/tokenizers, pure JS;
// NAME a tokenizer.json path; no special tokens added), gpt-tokenizer
// (NAME an encoding).
"use strict";
const fs = require("fs");
const path = require("path");
const [engine, name, corpus] = process.argv.slice(2);
const docs = fs.readFileSync(corpus, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
let enc;
if (engine === "tiktoken") {
    const t = require("tiktoken").get_encoding(name);
    enc = (s) => Array.from(t.encode_ordinary(s));
} else if (engine === "hf") {
    const { Tokenizer } = require(path.join(__dirname, "node_modules/@huggingface/tokenizers/dist/tokenizers.cjs"));
    const t = new Tokenizer(JSON.parse(fs.readFileSync(name, "utf8")), {});
    enc = (s) => t.encode(s, { add_special_tokens: false }).ids;
} else if (engine === "gpt-tokenizer") {
    const g = require("gpt-tokenizer/encoding/" + name);
    enc = (s) => g.encode(s, { disallowedSpecial: new Set() });
} else {
    console.error("unknown engine " + engine);
    process.exit(2);
}
const out = [];
for (const d of docs) out.push(JSON.stringify(enc(d)));
process.stdout.write(out.join("\n") + "\n");
