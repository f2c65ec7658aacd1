// "Verify here": recompute, in this browser, that each submission of the table is in the
// signed log. Leaf hash = SHA-256(0x00 || leaf), RFC 9162 inclusion path, then the
// checkpoint's Ed25519 signature (C2SP signed note) with the key in the input field.
// No network access: everything comes from the page. docs/log-format.md has the formats.
(function () {
  "use strict";
  var dataEl = document.getElementById("verify-data");
  var button = document.getElementById("verify-btn");
  var out = document.getElementById("verify-result");
  var keyInput = document.getElementById("verify-key");
  if (!dataEl || !button || !out || !keyInput) { return; }
  var data = JSON.parse(dataEl.textContent);
  var msg = (window.ACTAS_I18N && window.ACTAS_I18N.verify) || {};

  function say(key, values) {
    var text = msg[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  }
  function Fail(key, values) { this.key = key; this.values = values; }
  function b64(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function unhex(text) {
    if (!/^([0-9a-f]{2})*$/.test(text)) { throw new Fail("bad_hex"); }
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(text.substr(2 * i, 2), 16); }
    return out;
  }
  function concat() {
    var n = 0, i, parts = arguments;
    for (i = 0; i < parts.length; i++) { n += parts[i].length; }
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }
  var ZERO = new Uint8Array([0]), ONE = new Uint8Array([1]);

  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
  async function rootFromProof(leafHash, index, size, proof) {
    if (index >= size) { throw new Fail("bad_proof"); }
    var fn = index, sn = size - 1, r = leafHash;
    for (var i = 0; i < proof.length; i++) {
      var p = unhex(proof[i]);
      if (p.length !== 32 || sn === 0) { throw new Fail("bad_proof"); }
      if ((fn & 1) === 1 || fn === sn) {
        r = await sha256(concat(ONE, p, r));
        if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await sha256(concat(ONE, r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) { throw new Fail("bad_proof"); }
    return r;
  }

  async function parseKey(text) {
    var parts = text.trim().split("+");
    if (parts.length < 3) { throw new Fail("bad_key"); }
    var name = parts[0], hash = parts[1], material = b64(parts.slice(2).join("+"));
    if (material.length !== 33 || material[0] !== 1 || !/^[0-9a-f]{8}$/.test(hash)) { throw new Fail("bad_key"); }
    var pub = material.slice(1);
    var id = (await sha256(concat(new TextEncoder().encode(name + "\n"), ONE, pub))).slice(0, 4);
    if (hex(id) !== hash) { throw new Fail("key_hash"); }
    return { name: name, id: id, pub: pub };
  }

  function parseNote(note) {
    var cut = note.indexOf("\n\n");
    if (cut < 0) { throw new Fail("bad_note"); }
    var body = note.slice(0, cut + 1), lines = body.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) { throw new Fail("bad_note"); }
    var sigs = note.slice(cut + 2).split("\n").filter(function (l) { return l.length > 0; });
    return { body: body, origin: lines[0], size: Number(lines[1]), root: b64(lines[2]), sigs: sigs };
  }

  async function checkSignature(note, key) {
    var prefix = "\u2014 " + key.name + " ";
    var found = false;
    for (var i = 0; i < note.sigs.length; i++) {
      if (note.sigs[i].indexOf(prefix) !== 0) { continue; }
      var raw = b64(note.sigs[i].slice(prefix.length));
      if (raw.length !== 68 || !equal(raw.slice(0, 4), key.id)) { continue; }
      found = true;
      var cryptoKey;
      try {
        cryptoKey = await crypto.subtle.importKey("raw", key.pub, { name: "Ed25519" }, false, ["verify"]);
      } catch (e) {
        throw new Fail("no_ed25519");
      }
      var ok = await crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, raw.slice(4), new TextEncoder().encode(note.body));
      if (!ok) { throw new Fail("bad_sig"); }
    }
    if (!found) { throw new Fail("no_sig"); }
  }

  function show(pass, lines, reason) {
    out.textContent = "";
    var box = document.createElement("div");
    box.className = pass ? "result-pass" : "result-fail";
    box.setAttribute("data-result", pass ? "pass" : "fail");
    var head = document.createElement("strong");
    head.textContent = pass ? say("pass") : say("fail");
    box.appendChild(head);
    if (reason) {
      var why = document.createElement("p");
      why.textContent = reason;
      box.appendChild(why);
    }
    var list = document.createElement("ul");
    lines.forEach(function (l) { var li = document.createElement("li"); li.textContent = l; list.appendChild(li); });
    box.appendChild(list);
    out.appendChild(box);
  }

  async function run() {
    var done = [];
    out.textContent = say("checking");
    try {
      if (!window.crypto || !crypto.subtle) { throw new Fail("no_webcrypto"); }
      var key = await parseKey(keyInput.value);
      var note = parseNote(data.note);
      await checkSignature(note, key);
      done.push(say("sig_ok", { key: key.name + "+" + hex(key.id), size: note.size }));
      for (var i = 0; i < data.leaves.length; i++) {
        var leaf = data.leaves[i];
        var leafHash = await sha256(concat(ZERO, new TextEncoder().encode(leaf.leaf)));
        if (hex(leafHash) !== leaf.leaf_hash) { throw new Fail("bad_leaf_hash", { n: leaf.seq }); }
        if (leaf.tree_size !== note.size) { throw new Fail("bad_size", { n: leaf.seq }); }
        var root = await rootFromProof(leafHash, leaf.seq, leaf.tree_size, leaf.proof);
        if (!equal(root, note.root)) { throw new Fail("bad_root", { n: leaf.seq }); }
        done.push(say("leaf_ok", { n: leaf.seq, hash: hex(leafHash).slice(0, 16) }));
      }
      show(true, done, "");
    } catch (e) {
      var reason = e instanceof Fail ? say(e.key, e.values) : say("error", { error: String(e) });
      show(false, done, reason);
    }
  }

  button.hidden = false;
  button.addEventListener("click", function () { run(); });
})();
