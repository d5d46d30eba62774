/**
 * How well the offline analyzer reads the shared diagram fixtures: `npm run eval:offline`.
 * For each image it answers "Explain this architecture" as the server would (same image
 * preparation, same analysis, same answer) and measures:
 * - label recall: the share of ground-truth labels (nodes and containers; every label of the
 *   real diagrams) that appear in the answer, case-insensitive, ignoring spaces and punctuation,
 *   with one OCR slip allowed per six characters;
 * - container accuracy (synthetic): the share of nodes the analyzer placed in the right group;
 * - on the real diagrams, the shared structural scorer's figures (structure-score.ts): component
 *   F1, group accuracy, step accuracy, edge F1, structure F1 and its own label recall, per diagram
 *   and as means (the held-out diagrams apart).
 * Prints a markdown report and writes it to bench/results/eval-offline.md, with the scorer's
 * listing of what was missed in bench/results/eval-offline-structure.md; with `--float`
 * (`npm run eval:offline -- --float`) the recogniser runs float, for comparison with int8, and
 * the report goes to bench/results/eval-offline-float.md.
 * While tuning: `-- --real` reads only the real diagrams, `-- --tuning` only those not held out;
 * either prints the report (and writes the listing to the temp folder) without touching
 * bench/results.
 */
import os from "node:os";
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { composeAnswer } from "@/lib/offline/answer/compose-answer";
import { createPaddleOcr } from "@/lib/offline/ocr/paddle-ocr";
import { prepareImage } from "@/lib/image/prepare-image";
import { FIXTURES_DIR, loadFixtures, publishReport, type Fixture } from "./fixtures";
import { buildStructure } from "@/lib/offline";
import { HELD_OUT, renderStructureTable, scoreStructures, structureMarkdown, type StructureReport } from "./structure-score";
import { appearsIn, sameText } from "./label-match";

const FLOAT = process.argv.includes("--float");
const TUNING = process.argv.includes("--tuning");
const PARTIAL = TUNING || process.argv.includes("--real");
const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results");
const RESULTS_FILE = path.join(RESULTS_DIR, FLOAT ? "eval-offline-float.md" : "eval-offline.md");
const DETAILS_FILE = PARTIAL ? path.join(os.tmpdir(), "eval-offline-structure.md") : path.join(RESULTS_DIR, FLOAT ? "eval-offline-structure-float.md" : "eval-offline-structure.md");
const LIMITS = { maxPixels: 100_000_000, maxEdge: 3072 };

interface Row {
  fixture: Fixture;
  recall: number;
  missed: string[];
  containerAccuracy: number | null;
}

async function main() {
  let fixtures: Fixture[];
  try {
    fixtures = (await loadFixtures()).filter(
      (fixture) => !PARTIAL || (fixture.group === "real" && !(TUNING && HELD_OUT.includes(stemOf(fixture.name)))),
    );
  } catch {
    console.error(`No fixtures at ${FIXTURES_DIR}: the evaluation needs the shared diagram fixtures.`);
    process.exit(1);
  }
  const ocr = await createPaddleOcr({ precision: FLOAT ? "float" : "int8" });
  const rows: Row[] = [];
  const realAnswers = new Map<string, string>();
  const realStructures = new Map<string, string>();
  for (const fixture of fixtures) {
    const image = await prepareImage(fixture.file, LIMITS);
    const analysis = await analyzeImage(ocr, image.data);
    const answer = composeAnswer(analysis, "Explain this architecture").join("\n\n");
    if (fixture.group === "real") {
      realAnswers.set(stemOf(fixture.name), answer);
      realStructures.set(stemOf(fixture.name), structureMarkdown(buildStructure(analysis)));
    }
    const missed = fixture.labels.filter((label) => !appearsIn(label, answer));
    const row: Row = {
      fixture,
      recall: 1 - missed.length / fixture.labels.length,
      missed,
      containerAccuracy: fixture.nodes ? containerAccuracy(fixture.nodes, analysis) : null,
    };
    rows.push(row);
    process.stderr.write(`${fixture.name}: recall ${percent(row.recall)}${row.containerAccuracy === null ? "" : `, containers ${percent(row.containerAccuracy)}`}\n`);
  }
  await ocr.close();
  const structure = await scoreStructures(realAnswers);
  const structureJson = await scoreStructures(realStructures);
  const report = render(rows, ocr.recognition, structure, structureJson);
  const details = `# What the structure scorer missed\n\nThe scorer's verbose listing for the answers of \`${path.basename(RESULTS_FILE)}\`.\n\n${structure.details}\n`;
  if (PARTIAL) {
    process.stdout.write(report);
    await writeFile(DETAILS_FILE, details);
    process.stderr.write(`Details: ${DETAILS_FILE}\n`);
  } else {
    await publishReport(RESULTS_FILE, report);
    await writeFile(DETAILS_FILE, details);
  }
}

function stemOf(file: string): string {
  return file.replace(/\.[a-z]+$/i, "");
}

function containerAccuracy(nodes: NonNullable<Fixture["nodes"]>, analysis: Awaited<ReturnType<typeof analyzeImage>>): number {
  const titles = new Map(analysis.layout.containers.map((container) => [container.id, container.title]));
  let right = 0;
  for (const truth of nodes) {
    const found = analysis.layout.nodes.find((node) => sameText(node.label, truth.label));
    if (!found) continue;
    const title = found.containerId ? (titles.get(found.containerId) ?? null) : null;
    if (title === null ? truth.container === null : truth.container !== null && sameText(title, truth.container)) right++;
  }
  return right / nodes.length;
}

function render(rows: Row[], recognition: string, structure: StructureReport, structureJson: StructureReport): string {
  const groups = [...new Set(rows.map((row) => row.fixture.group))];
  const summary = groups.map((group) => {
    const members = rows.filter((row) => row.fixture.group === group);
    const labels = members.reduce((sum, row) => sum + row.fixture.labels.length, 0);
    const found = members.reduce((sum, row) => sum + row.fixture.labels.length - row.missed.length, 0);
    const accuracies = members.flatMap((row) => (row.containerAccuracy === null ? [] : [row.containerAccuracy]));
    const container = accuracies.length ? percent(accuracies.reduce((a, b) => a + b, 0) / accuracies.length) : "—";
    return `| ${group} | ${members.length} | ${percent(found / labels)} (${found}/${labels}) | ${container} |`;
  });
  const detail = rows.map(
    (row) =>
      `| ${row.fixture.name} | ${percent(row.recall)} | ${row.containerAccuracy === null ? "—" : percent(row.containerAccuracy)} | ${row.missed.map((label) => label.replace(/\|/g, "\\|")).join("; ") || "—"} |`,
  );
  return [
    "# Offline analyzer evaluation",
    "",
    `Task: “Explain this architecture”. Recogniser: ${recognition}. Label recall over nodes and containers (synthetic) or every listed label (real); container accuracy over synthetic nodes.`,
    "",
    "| group | images | label recall | container accuracy |",
    "| --- | --- | --- | --- |",
    ...summary,
    "",
    "| image | label recall | container accuracy | labels missed |",
    "| --- | --- | --- | --- |",
    ...detail,
    "",
    "## Structure of the real diagrams",
    "",
    `The shared structural scorer (\`score_structure.py\`, metrics in its header) on the same answers, against each diagram's \`.structure.json\`. Held out: diagrams kept out of the tuning of the layout rules. What each answer missed: \`${path.basename(DETAILS_FILE)}\`.`,
    "",
    renderStructureTable(structure.rows),
    "",
    "The structure itself (`analyzeStructure`, what `/api/structure` is to return), written as the scorer reads an answer: components under their group, the numbered steps, the arrows.",
    "",
    renderStructureTable(structureJson.rows),
    "",
  ].join("\n");
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

await main();
