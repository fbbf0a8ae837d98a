// The page talks only to this server: POST /predictions?figures=1 with the image as a data URI, GET /api/info and
// GET /api/stats for the counters. No build step, nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;

function text(el, value) { el.textContent = value; }

async function loadInfo() {
  const r = await fetch("/api/info");
  info = await r.json();
  text($("about"), `${info.arch}, ${info.classes.length} classes, ${info.stages} stages (the glance, then ` +
    `${info.stages - 1} windows); the full-resolution network costs ${info.full_network_gmacs.toFixed(3)} G ` +
    `multiply-adds per image.`);
}

async function refreshStats() {
  try {
    const s = await (await fetch("/api/stats")).json();
    const exits = Object.entries(s.exits_per_stage).map(([stage, n]) => `stage ${stage}: ${n}`).join(", ");
    text($("stats"), `${s.answered} answered, ${s.refused} refused; exits ${exits || "none yet"}; ` +
      `${s.gmacs_spent.toFixed(2)} G multiply-adds spent, ${s.gmacs_saved.toFixed(2)} G saved against the ` +
      `full-resolution network.`);
    $("stats").dataset.answered = s.answered;
  } catch (e) {
    text($("stats"), "counters unavailable");
  }
}

function showError(message) {
  $("error").hidden = false;
  text($("error"), message);
}

function render(out) {
  $("result").hidden = false;
  text($("class"), out.class);
  text($("confidence"), `(${(100 * out.confidence).toFixed(1)}%)`);
  const full = out.full_network_gmacs;
  text($("cost"), `Left after stage ${out.exit_stage} of ${info ? info.stages : "?"}: ${out.gmacs.toFixed(3)} G ` +
    `multiply-adds, ${(100 * out.gmacs / full).toFixed(0)}% of the full network's ${full.toFixed(3)} G.`);
  $("cost").dataset.exitStage = out.exit_stage;
  $("windows").src = out.figures.predictions;
  if (out.figures.cam) {
    $("cam").src = out.figures.cam;
    $("camFigure").hidden = false;
  } else {
    $("camFigure").hidden = true;  // left after the glance: AnchorNet never ran
  }
  const body = $("stages").querySelector("tbody");
  body.replaceChildren();
  for (const s of out.stage_predictions) {
    const row = document.createElement("tr");
    if (s.stage === out.exit_stage) row.className = "exit";
    const looked = s.stage === 1 ? "the whole image (glance)" : `window ${s.stage - 1}`;
    for (const v of [s.stage, looked, s.class, `${(100 * s.confidence).toFixed(1)}%`]) {
      const cell = document.createElement("td");
      text(cell, v);
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
  const list = $("top10");
  list.replaceChildren();
  for (const t of out.top10) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    text(name, t.class);
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(1, 300 * t.probability)}px`;
    const p = document.createElement("span");
    text(p, `${(100 * t.probability).toFixed(1)}%`);
    item.append(name, bar, p);
    list.appendChild(item);
  }
}

async function classify(file) {
  $("error").hidden = true;
  const dataUri = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  const r = await fetch("/predictions?figures=1", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ input: { image: dataUri } }),
  });
  const body = await r.json();
  if (body.status !== "succeeded") {
    showError(body.error || `request failed (${r.status})`);
    return;
  }
  body.output.image = file.name;
  render(body.output);
  refreshStats();
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) classify(e.dataTransfer.files[0]).catch((err) => showError(String(err)));
});
$("file").addEventListener("change", (e) => {
  if (e.target.files.length) classify(e.target.files[0]).catch((err) => showError(String(err)));
});

loadInfo().catch((err) => showError(String(err)));
refreshStats();
setInterval(refreshStats, 2000);
