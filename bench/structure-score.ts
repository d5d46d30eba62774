import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { DiagramStructure } from "@/lib/offline";
import { FIXTURES_DIR } from "./fixtures";

/**
 * The shared structural scorer (`../shared/tools/score_structure.py`, whose header defines the
 * metrics) run over the answers to the real diagrams: components, groups, steps and arrows read
 * from the answer's markdown and compared with each diagram's hand-made `.structure.json`.
 */
export const SCORER = path.resolve(FIXTURES_DIR, "../../tools/score_structure.py");
export const STRUCTURES_DIR = path.join(FIXTURES_DIR, "real");

/**
 * Real diagrams kept out of the tuning of the layout rules, so that their figures say whether the
 * rules hold on diagrams they were not shaped on. `--tuning` leaves them out of the report.
 */
export const HELD_OUT = ["aws_ev_battery_health_prediction", "gcp_data_platform_minimal_fabric", "kubernetes_cluster_components"];

const METRICS = ["component_f1", "group_accuracy", "step_accuracy", "edge_f1", "structure_f1", "label_recall"] as const;
type Metric = (typeof METRICS)[number];

export interface StructureRow {
  image: string;
  scores: Record<Metric, number | null>;
  heldOut: boolean;
}

export interface StructureReport {
  rows: StructureRow[];
  /** The scorer's own verbose listing: what was missed and why each wrong bullet is wrong. */
  details: string;
}

interface ScorerSummary {
  per_diagram: Record<string, Record<string, number | null>>;
}

const run = promisify(execFile);

/** Scores `answers` (image stem → markdown) with the shared scorer. */
export async function scoreStructures(answers: Map<string, string>): Promise<StructureReport> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "eval-structure-"));
  try {
    for (const [stem, markdown] of answers) await writeFile(path.join(folder, `${stem}.md`), markdown);
    const { stdout } = await run("python3", [SCORER, "--answers", folder, "--structures", STRUCTURES_DIR, "--verbose"], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const jsonLine = stdout.split("\n").find((line) => line.startsWith("JSON "));
    if (!jsonLine) throw new Error("The structure scorer printed no JSON summary.");
    const summary = JSON.parse(jsonLine.slice(5)) as ScorerSummary;
    const rows = Object.entries(summary.per_diagram)
      .filter(([image]) => answers.has(stem(image)))
      .map(([image, figures]) => ({ image, scores: withEdgeF1(figures), heldOut: HELD_OUT.includes(stem(image)) }));
    const details = stdout.slice(stdout.indexOf("\n#### ")).split("\nJSON ")[0]!.trim();
    return { rows, details };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function stem(image: string): string {
  return image.replace(/\.[a-z]+$/i, "");
}

/** The scorer's summary lists edge recall and precision; their F1 is what the structure F1 uses. */
function withEdgeF1(figures: Record<string, number | null>): Record<Metric, number | null> {
  const recall = figures.edge_recall ?? null;
  const precision = figures.edge_precision ?? null;
  const edgeF1 = recall === null ? null : precision === null || precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    component_f1: figures.component_f1 ?? null,
    group_accuracy: figures.group_accuracy ?? null,
    step_accuracy: figures.step_accuracy ?? null,
    edge_f1: edgeF1,
    structure_f1: figures.structure_f1 ?? null,
    label_recall: figures.label_recall ?? null,
  };
}

const HEADERS: Record<Metric, string> = {
  component_f1: "component F1",
  group_accuracy: "group accuracy",
  step_accuracy: "step accuracy",
  edge_f1: "edge F1",
  structure_f1: "structure F1",
  label_recall: "label recall",
};

/** Markdown tables: every diagram, then the mean of the tuned, held-out and all diagrams. */
export function renderStructureTable(rows: StructureRow[]): string {
  const cell = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)} %`);
  const mean = (members: StructureRow[], metric: Metric) => {
    const values = members.flatMap((row) => (row.scores[metric] === null ? [] : [row.scores[metric]]));
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  };
  const line = (name: string, members: StructureRow[]) => `| ${name} | ${METRICS.map((metric) => cell(mean(members, metric))).join(" | ")} |`;
  const tuned = rows.filter((row) => !row.heldOut);
  const held = rows.filter((row) => row.heldOut);
  return [
    `| image | ${METRICS.map((metric) => HEADERS[metric]).join(" | ")} |`,
    `| --- | ${METRICS.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => line(`${row.image}${row.heldOut ? " (held out)" : ""}`, [row])),
    ...(held.length && tuned.length ? [line(`**mean, tuned (${tuned.length})**`, tuned), line(`**mean, held out (${held.length})**`, held)] : []),
    line(`**mean (${rows.length})**`, rows),
  ].join("\n");
}

/**
 * The structure `analyzeStructure` returns (what `/api/structure` sends) written as the scorer
 * reads an answer: components under their innermost group's heading, the numbered steps, and
 * the arrows. Nothing is added or explained, so its scores are the structure's own.
 */
export function structureMarkdown(structure: DiagramStructure): string {
  const names = new Map([...structure.components.map((c) => [c.id, c.name] as const), ...structure.groups.map((g) => [g.id, g.name] as const)]);
  const catalogue = new Map(structure.components.flatMap((c) => (c.catalogue ? [[c.id, c.catalogue] as const] : [])));
  const bold = (id: string) => `**${(names.get(id) ?? id).replace(/([*_`])/g, "\\$1")}**${catalogue.has(id) ? ` (${catalogue.get(id)})` : ""}`;
  const lines = ["## Components"];
  const byGroup = new Map<string | null, string[]>();
  for (const component of structure.components) {
    const members = byGroup.get(component.group) ?? [];
    members.push(`- ${bold(component.id)}`);
    byGroup.set(component.group, members);
  }
  for (const [group, members] of byGroup) lines.push("", `### ${group === null ? "Outside any group" : names.get(group)}`, "", ...members);
  const steps = structure.steps.filter((step) => step.component !== null || step.group !== null);
  if (steps.length) {
    lines.push("", "## Flow, step by step", "", ...steps.map((step) => `${step.number}. ${bold((step.component ?? step.group)!)}`));
  }
  if (structure.edges.length) {
    lines.push("", "## Data flow", "", ...structure.edges.map((edge) => `- ${bold(edge.from)} ${edge.directed ? "→" : "↔"} ${bold(edge.to)}${edge.label ? ` (${edge.label})` : ""}`));
  }
  return `${lines.join("\n")}\n`;
}
