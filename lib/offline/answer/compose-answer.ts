import "server-only";
import type { ComponentReading, ImageAnalysis } from "@/lib/offline/analyze-image";
import { classifyTask } from "@/lib/offline/answer/classify-task";
import { WordRunNames } from "@/lib/offline/answer/word-run-names";
import { withoutVendor } from "@/lib/offline/catalog/catalog";
import type { Connection, LayoutContainer, LayoutNode } from "@/lib/offline/types";
import { MAX_PROMPT_CHARS } from "@/lib/shared/limits";
import type { ConversationTurn } from "@/lib/shared/providers";

/** The first line of every offline answer: what it is, so nobody mistakes it for a model. */
export const OFFLINE_NOTICE =
  "> **Offline analysis.** No language model was used: this answer is built from the text, layout and known components the built-in analyzer read in the image.";

/**
 * Words by which a follow-up points back at what the previous question was about. Not “this”,
 * which usually means the diagram (“translate this”, “what does this show”).
 */
const REFERS_BACK = /\b(it|its|that|those|them|they|their)\b/i;

/**
 * How much of a task, and of each earlier task, is read for component names. The form refuses
 * longer tasks already; the cap keeps the cost of naming bounded for any caller all the same.
 */
export const NAME_SCAN_CHARS = MAX_PROMPT_CHARS;
/**
 * How many earlier turns a follow-up looks back through for the components “it” means. A pronoun
 * points at something recent: a question that named nothing in its last ten turns does not mean a
 * component named before them, and a history of fifty long turns costs no more than ten.
 */
export const LOOK_BACK_TURNS = 10;
/**
 * The most components an answer describes, the first in walk-through order. Real diagrams have far
 * fewer; an image drawn to have thousands would otherwise make every section that places each
 * component among its neighbours cost the square of their number, on the thread that serves
 * every request.
 */
export const MAX_DESCRIBED_COMPONENTS = 200;

/** One section of an answer, written when it is called; null when the diagram has nothing for it. */
export type Section = () => string | null;

/**
 * The markdown answer to a task, as sections in the order they are shown: OFFLINE_NOTICE, then
 * `answerSections`. `history` holds the earlier questions about the same image: a follow-up such
 * as “what does it connect to?” is about the components the latest of them named.
 */
export function composeAnswer(analysis: ImageAnalysis, task: string, history: readonly ConversationTurn[] = []): string[] {
  return [OFFLINE_NOTICE, ...answerSections(analysis, task, history).flatMap((section) => section() ?? [])];
}

/**
 * What follows OFFLINE_NOTICE, as sections still to be written, so that the provider can send the
 * notice before the analysis is done, then write and stream these one at a time and let other
 * requests in between.
 */
export function answerSections(analysis: ImageAnalysis, task: string, history: readonly ConversationTurn[] = []): Section[] {
  return analysis.isDiagram ? diagramAnswer(analysis, task, history) : pictureAnswer(analysis, task);
}

function diagramAnswer(analysis: ImageAnalysis, task: string, history: readonly ConversationTurn[]): Section[] {
  const diagram = new DiagramReading(analysis);
  let mentioned = diagram.componentsNamedIn(task);
  if (mentioned.length === 0 && REFERS_BACK.test(task)) {
    for (const turn of history.slice(-LOOK_BACK_TURNS).reverse()) {
      mentioned = diagram.componentsNamedIn(turn.task);
      if (mentioned.length > 0) break;
    }
  }
  switch (classifyTask(task, mentioned.length > 0)) {
    case "list":
      return [() => diagram.overview(), () => diagram.componentTable()];
    case "component":
      return mentioned.map((component) => () => diagram.componentStory(component));
    case "mermaid":
      return [() => diagram.mermaid(), () => diagram.readingNote()];
    case "judgement":
      return [
        fixed(
          "Judging risks, security or improvements needs a language model, which offline mode does not have. Here is what the analyzer read, as a basis for your own review.",
        ),
        ...diagram.walkThrough(),
      ];
    case "explain":
      return diagram.walkThrough();
    case "other":
      return [
        fixed(
          "Offline mode can read a diagram's text, its groups, numbered steps and arrows, and name known cloud and data services; it cannot answer this task directly. This is what it read.",
        ),
        ...diagram.walkThrough(),
      ];
  }
}

function fixed(text: string): Section {
  return () => text;
}

/** Photos and screenshots: the text found and plain facts, never invented content. */
function pictureAnswer(analysis: ImageAnalysis, task: string): Section[] {
  const facts = [
    `- Size: ${analysis.width} × ${analysis.height} px`,
    `- Main colours: ${analysis.colours.map(({ hex, share }) => `\`${hex}\` (${Math.round(share * 100)} %)`).join(", ")}`,
  ];
  const text = () =>
    analysis.texts.length
      ? ["## Text found", "", ...analysis.texts.map((line) => `- ${escapeMarkdown(line.text)}`)].join("\n")
      : "## Text found\n\nNo text could be read in this image.";
  return [
    () =>
      `This image does not look like a diagram, and offline mode cannot describe pictures, so it cannot answer “${escapeMarkdown(task.trim())}”. It can report the text in the image and plain facts about it.`,
    text,
    () => ["## About the image", "", ...facts].join("\n"),
  ];
}

/** A diagram's components in walk-through order, with the words to describe them. */
class DiagramReading {
  private readonly containers: Map<string, LayoutContainer>;
  /** The components the answer describes, in walk-through order. */
  private readonly ordered: ComponentReading[];
  private readonly byId: Map<string, ComponentReading>;
  private readonly childrenOf = new Map<string, LayoutContainer[]>();
  private readonly nearest = new Map<string, ComponentReading[]>();
  private stagesMemo?: Array<{ title: string; containerId: string | null; components: ComponentReading[] }>;
  /** Each component's names, squashed; built on the first question that looks for names. */
  private namesOf?: Map<ComponentReading, string[]>;
  private nameFinder?: WordRunNames;

  constructor(private readonly analysis: ImageAnalysis) {
    this.containers = new Map(analysis.layout.containers.map((container) => [container.id, container]));
    this.ordered = this.walkOrder().slice(0, MAX_DESCRIBED_COMPONENTS);
    this.byId = new Map(this.ordered.map((component) => [component.node.id, component]));
    for (const container of analysis.layout.containers) {
      if (container.parentId === null) continue;
      const siblings = this.childrenOf.get(container.parentId);
      if (siblings) siblings.push(container);
      else this.childrenOf.set(container.parentId, [container]);
    }
  }

  /**
   * Components named in a task, by their label or their catalogue name, as whole words: any run
   * of consecutive words, squashed, so "API Gateway" and "APIGateway" both name "apigateway".
   */
  componentsNamedIn(task: string): ComponentReading[] {
    if (!this.namesOf || !this.nameFinder) {
      this.namesOf = new Map(
        this.ordered.map((component) => {
          const { node, concept } = component;
          // "Kinesis Data Streams" names Amazon Kinesis Data Streams: people drop the vendor.
          const names = [node.label, concept?.name, concept && withoutVendor(concept.name), concept?.alias]
            .filter((name): name is string => Boolean(name))
            .map(squash)
            .filter((name) => name.length >= 3);
          return [component, names];
        }),
      );
      this.nameFinder = new WordRunNames([...this.namesOf.values()].flat());
    }
    const { names } = this.nameFinder.scan(task, NAME_SCAN_CHARS);
    return this.ordered.filter((component) => this.namesOf!.get(component)!.some((name) => names.has(name)));
  }

  overview(): string {
    const { layout } = this.analysis;
    const title = layout.title ? `*${escapeMarkdown(layout.title)}*` : "This diagram";
    const groups = this.topGroups();
    const groupText = groups.length
      ? ` in ${groups.length} group${groups.length === 1 ? "" : "s"}: ${groups.map((group) => `**${escapeMarkdown(group.title)}**`).join(", ")}`
      : "";
    const outer = this.outerGroups();
    const outerText = outer.length
      ? ` ${outer.map((group) => `**${escapeMarkdown(group.title)}** encloses ${this.childGroups(group).map((child) => `**${escapeMarkdown(child.title)}**`).join(", ")}`).join("; ")}.`
      : "";
    const categories = this.categorySummary();
    return [
      "## Overview",
      "",
      `${title} shows ${this.analysis.components.length} components${groupText}.${outerText}${categories ? ` ${categories}` : ""}${this.omissionNote()}`,
    ].join("\n");
  }

  /** Said once, in the overview, when the diagram has more components than an answer describes. */
  private omissionNote(): string {
    const total = this.analysis.components.length;
    return total > this.ordered.length ? ` This answer describes the first ${this.ordered.length} in reading order.` : "";
  }

  /** Overview, flow, components, then the data flow and other text when there are any, and a summary. */
  walkThrough(): Section[] {
    return [
      () => this.overview(),
      () => this.flow(),
      () => this.componentsByGroup(),
      () => this.connections(),
      () => this.otherText(),
      () => this.legend(),
      () => this.summary(),
    ];
  }

  /** Text outside the components: notes, legends, unattached arrow labels. Read, not interpreted. */
  private otherText(): string | null {
    const notes = [...new Set(this.analysis.layout.notes.map((note) => note.text.trim()).filter(Boolean))];
    if (!notes.length) return null;
    return ["## Other text in the diagram", "", ...notes.map((note) => `- ${escapeMarkdown(note)}`)].join("\n");
  }

  /** The diagram's key, kept apart from the architecture: what its colours, icons and lines mean. */
  private legend(): string | null {
    const entries = [...new Set((this.analysis.layout.legend ?? []).map((entry) => entry.text.trim()).filter(Boolean))];
    if (!entries.length) return null;
    return ["## Legend", "", "The diagram's key (not part of the architecture):", "", ...entries.map((entry) => `- ${escapeMarkdown(entry)}`)].join("\n");
  }

  /** The stages in the diagram's own order: numbered steps when it has them, else reading order. */
  private flow(): string {
    const { steps } = this.analysis.layout;
    const stepLines = steps.flatMap((step) => {
      const component = step.nodeId ? this.byId.get(step.nodeId) : undefined;
      if (component) return [`${step.number}. ${this.describe(component)}`];
      // A step drawn on a group's frame is the whole group's.
      const group = step.containerId ? this.containers.get(step.containerId) : undefined;
      return group ? [`${step.number}. **${escapeMarkdown(group.title)}**: the group as a whole.`] : [];
    });
    if (stepLines.length >= 2) {
      return ["## Flow, step by step", "", "Following the diagram's numbered steps:", "", ...stepLines].join("\n");
    }
    const stages = this.stages();
    if (stages.length < 2) {
      return ["## Flow", "", ...this.ordered.map((component, index) => `${index + 1}. ${this.describe(component)}`)].join("\n");
    }
    return [
      "## Flow, stage by stage",
      "",
      stepLines.length ? "Too few numbered steps were read to follow; the groups are taken in reading order:" : "The diagram has no numbered steps; its groups are taken in reading order:",
      "",
      ...stages.map(({ title, components }, index) => `${index + 1}. **${escapeMarkdown(title)}**: ${components.map((component) => this.name(component)).join(", ")}`),
    ].join("\n");
  }

  private componentsByGroup(): string {
    const lines = ["## Components"];
    for (const { title, components } of this.stages()) {
      lines.push("", `### ${escapeMarkdown(title)}`, "", ...components.map((component) => `- ${this.describe(component)}`));
    }
    return lines.join("\n");
  }

  componentTable(): string {
    const rows = this.ordered.map(
      (component) =>
        `| ${cell(this.displayLabel(component))} | ${cell(this.containerTitle(component.node) ?? "—")} | ${cell(component.concept?.category ?? "—")} | ${this.role(component).replace(/\n/g, " ")} |`,
    );
    return ["## Components", "", "| Component | Group | Kind | Role |", "| --- | --- | --- | --- |", ...rows].join("\n");
  }

  componentStory(component: ComponentReading): string {
    const { node } = component;
    const links = this.describedLinks();
    const into = links.filter((link) => link.to === node.id).map((link) => this.nodeName(link.from));
    const out = links.filter((link) => link.from === node.id).map((link) => this.nodeName(link.to));
    const step = this.analysis.layout.steps.find((marker) => marker.nodeId === node.id);
    const lines = [`## ${escapeMarkdown(this.displayLabel(component))}`, "", this.role(component)];
    const place = this.containerTitle(node);
    if (place) lines.push("", `It sits in **${escapeMarkdown(place)}**${step ? `, at step ${step.number} of the flow` : ""}.`);
    if (into.length) lines.push("", `It receives from: ${into.join(", ")}.`);
    if (out.length) lines.push("", `It sends to: ${out.join(", ")}.`);
    if (!into.length && !out.length) {
      const neighbours = this.neighbours(node).map((neighbour) => this.name(neighbour));
      if (neighbours.length) lines.push("", `No arrows to or from it could be traced; its neighbours in the diagram are ${neighbours.join(" and ")}.`);
    }
    return lines.join("\n");
  }

  mermaid(): string {
    const ids = new Map(this.ordered.map((component, index) => [component.node.id, `n${index + 1}`]));
    const lines = ["flowchart LR"];
    for (const { title, components, containerId } of this.stages()) {
      const members = components.map((component) => `    ${ids.get(component.node.id)}["${mermaidText(this.displayLabel(component))}"]`);
      if (containerId) {
        // A subgraph's id is an arrow's end too, when the arrow is drawn to the whole group.
        ids.set(containerId, containerId.replace(/\W/g, "_"));
        lines.push(`  subgraph ${ids.get(containerId)}["${mermaidText(title)}"]`, ...members, "  end");
      } else lines.push(...members.map((member) => member.slice(2)));
    }
    const links = this.describedLinks().filter((link) => ids.has(link.from) && ids.has(link.to));
    for (const link of links) {
      lines.push(`  ${ids.get(link.from)} -->${link.label ? `|${mermaidText(link.label)}|` : ""} ${ids.get(link.to)}`);
    }
    return ["## Mermaid", "", "```mermaid", ...lines, "```"].join("\n");
  }

  readingNote(): string {
    const traced = this.analysis.layout.connections.length;
    return traced
      ? `The groups and ${traced} arrow${traced === 1 ? "" : "s"} above are as the analyzer traced them; check them against the image.`
      : "No arrows could be traced, so the chart shows the groups and components only.";
  }

  private connections(): string | null {
    const links = this.describedLinks();
    if (!links.length) return null;
    return [
      "## Data flow",
      "",
      ...links.map((link) => `- ${this.nodeName(link.from)} → ${this.nodeName(link.to)}${link.label ? ` (${escapeMarkdown(link.label)})` : ""}`),
    ].join("\n");
  }

  /** The arrows between described components, or to and from whole groups. */
  private describedLinks(): Connection[] {
    const known = (id: string) => this.byId.has(id) || this.containers.has(id);
    return this.analysis.layout.connections.filter((link) => known(link.from) && known(link.to));
  }

  private summary(): string {
    const { components } = this.analysis;
    const known = components.filter((component) => component.concept).length;
    const unknown = components.length - known;
    const steps = this.analysis.layout.steps.length;
    return [
      "## Summary",
      "",
      `${components.length} components read${steps ? `, ${steps} numbered step${steps === 1 ? "" : "s"}` : ""}; ${known} recognised from the catalogue of cloud and data services${unknown ? `, ${unknown} described by their place in the diagram` : ""}. For reasoning about the design (risks, trade-offs, alternatives), configure a model provider.`,
    ].join("\n");
  }

  /** Groups in reading order, each with its components; components in no group come first. */
  private stages(): Array<{ title: string; containerId: string | null; components: ComponentReading[] }> {
    if (this.stagesMemo) return this.stagesMemo;
    const stages = new Map<string | null, ComponentReading[]>();
    for (const component of this.ordered) {
      const key = component.node.containerId;
      const members = stages.get(key);
      if (members) members.push(component);
      else stages.set(key, [component]);
    }
    this.stagesMemo = [...stages].map(([containerId, components]) => ({
      containerId,
      title: containerId ? (this.containers.get(containerId)?.title ?? "Group") : "Outside any group",
      components,
    }));
    return this.stagesMemo;
  }

  /** Steps first when the diagram numbers them; then groups in reading order, nodes within. */
  private walkOrder(): ComponentReading[] {
    const { components, layout } = this.analysis;
    const stepOf = new Map(layout.steps.flatMap((step) => (step.nodeId ? [[step.nodeId, step.number] as const] : [])));
    const containerOrder = new Map(
      [...layout.containers].sort((a, b) => compareReadingPosition(a.box, b.box)).map((container, index) => [container.id, index]),
    );
    const groupRank = (node: LayoutNode) => (node.containerId ? (containerOrder.get(node.containerId) ?? 0) + 1 : 0);
    return [...components].sort(
      (a, b) =>
        (stepOf.get(a.node.id) ?? Infinity) - (stepOf.get(b.node.id) ?? Infinity) ||
        groupRank(a.node) - groupRank(b.node) ||
        compareReadingPosition(a.node.box, b.node.box),
    );
  }

  private topGroups(): LayoutContainer[] {
    const used = new Set(this.ordered.map((component) => component.node.containerId));
    return this.analysis.layout.containers.filter((container) => used.has(container.id));
  }

  /** Groups that hold other groups ("AWS Cloud" around "Data Ingestion" and its siblings). */
  private outerGroups(): LayoutContainer[] {
    return this.analysis.layout.containers.filter((container) => this.childGroups(container).length > 0);
  }

  private childGroups(parent: LayoutContainer): LayoutContainer[] {
    return this.childrenOf.get(parent.id) ?? [];
  }

  private categorySummary(): string {
    const byCategory = new Map<string, string[]>();
    for (const component of this.ordered) {
      if (!component.concept) continue;
      const names = byCategory.get(component.concept.category);
      if (names) names.push(this.name(component));
      else byCategory.set(component.concept.category, [this.name(component)]);
    }
    if (!byCategory.size) return "";
    const parts = [...byCategory].map(([category, names]) => `${category} (${names.join(", ")})`);
    return `By kind: ${parts.join("; ")}.`;
  }

  private describe(component: ComponentReading): string {
    return `${this.name(component)}: ${this.role(component)}`;
  }

  private name(component: ComponentReading): string {
    const label = this.displayLabel(component);
    const concept = component.concept;
    const extra = concept && squash(concept.name) !== squash(label) && !squash(concept.name).includes(squash(label)) ? ` (${concept.name})` : "";
    return `**${escapeMarkdown(label)}**${escapeMarkdown(extra)}`;
  }

  /** Markdown: the catalogue's sentence, or where an unknown component sits (labels escaped). */
  private role(component: ComponentReading): string {
    if (component.concept) return component.concept.role;
    const place = this.containerTitle(component.node);
    const neighbours = this.neighbours(component.node).map((neighbour) => escapeMarkdown(this.displayLabel(neighbour)));
    const where = place ? `in ${escapeMarkdown(place)}` : "outside the groups";
    return `Not in the offline catalogue; it sits ${where}${neighbours.length ? `, next to ${neighbours.join(" and ")}` : ""}.`;
  }

  /** The label as read; when the catalogue knows it, spelled as the catalogue does (OCR drops spaces). */
  private displayLabel(component: ComponentReading): string {
    const { node, concept } = component;
    if (concept && squash(concept.alias) === squash(node.label)) return concept.alias;
    if (concept && squash(concept.name).endsWith(squash(node.label))) {
      const words = concept.name.split(" ");
      for (let start = 0; start < words.length; start++) {
        const tail = words.slice(start).join(" ");
        if (squash(tail) === squash(node.label)) return tail;
      }
    }
    return node.label;
  }

  /** A component's name, or a group's title for an arrow drawn to the whole group. */
  private nodeName(id: string): string {
    const component = this.byId.get(id);
    if (component) return this.name(component);
    const container = this.containers.get(id);
    return container ? `**${escapeMarkdown(container.title)}**` : id;
  }

  private containerTitle(node: LayoutNode): string | null {
    return node.containerId ? (this.containers.get(node.containerId)?.title ?? null) : null;
  }

  /** The two nearest components, nearest first (the earlier in walk-through order on a tie). */
  private neighbours(node: LayoutNode): ComponentReading[] {
    const known = this.nearest.get(node.id);
    if (known) return known;
    const centre = (box: LayoutNode["box"]) => [box.x + box.width / 2, box.y + box.height / 2] as const;
    const [x, y] = centre(node.box);
    // One pass keeping the best two: sorting every component for each would cost n log n apiece.
    let first: { other: ComponentReading; distance: number } | undefined;
    let second: typeof first;
    for (const other of this.ordered) {
      if (other.node.id === node.id) continue;
      const [ox, oy] = centre(other.node.box);
      const candidate = { other, distance: Math.hypot(ox - x, oy - y) };
      if (!first || candidate.distance < first.distance) [first, second] = [candidate, first];
      else if (!second || candidate.distance < second.distance) second = candidate;
    }
    const found = [first, second].flatMap((each) => (each ? [each.other] : []));
    this.nearest.set(node.id, found);
    return found;
  }

}

/** Sorts boxes top to bottom in rows, left to right within a row (a row: boxes whose tops are close). */
function compareReadingPosition(a: LayoutNode["box"], b: LayoutNode["box"]): number {
  const rowTolerance = Math.min(a.height, b.height) * 0.6;
  if (Math.abs(a.y - b.y) > rowTolerance) return a.y - b.y;
  return a.x - b.x;
}

function squash(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>|#])/g, "\\$1");
}

function cell(text: string): string {
  return escapeMarkdown(text).replace(/\n/g, " ");
}

function mermaidText(text: string): string {
  return text.replace(/["\]|[]/g, " ").trim();
}
