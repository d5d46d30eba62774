import "server-only";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import type { DiagramStructure, StructureBox, StructureStep } from "@/lib/offline/structure/types";
import type { Box } from "@/lib/offline/types";

/**
 * The typed structure of one analysed diagram: its components (with the catalogue's name when
 * known), groups, arrows, numbered steps, legend and remaining text, with the layout's own ids.
 */
export function buildStructure(analysis: ImageAnalysis): DiagramStructure {
  const { layout } = analysis;
  const firstStep = new Map<string, number>();
  for (const step of layout.steps) {
    if (step.nodeId !== null && !firstStep.has(step.nodeId)) firstStep.set(step.nodeId, step.number);
  }
  const steps: StructureStep[] = layout.steps.map((step) => ({
    number: step.number,
    component: step.nodeId,
    group: step.containerId ?? null,
    edge: step.connection ? [step.connection.from, step.connection.to] : null,
    text: step.text ?? null,
  }));
  return {
    image: { width: analysis.width, height: analysis.height },
    title: layout.title,
    components: analysis.components.map(({ node, concept }) => ({
      id: node.id,
      name: catalogueSpelling(node.label, concept ? [concept.alias, concept.name] : []),
      box: toTuple(node.box),
      group: node.containerId,
      step: firstStep.get(node.id) ?? null,
      catalogue: concept?.name ?? null,
    })),
    groups: layout.containers.map((container) => ({
      id: container.id,
      name: container.title,
      box: toTuple(container.box),
      parent: container.parentId,
    })),
    edges: layout.connections.map((connection) => ({
      from: connection.from,
      to: connection.to,
      label: connection.label ?? null,
      directed: connection.directed ?? true,
    })),
    steps,
    legend: (layout.legend ?? []).map((item) => ({ text: item.text, box: toTuple(item.box) })),
    text: layout.notes.map((note) => ({ text: note.text, box: toTuple(note.box) })),
  };
}

/**
 * OCR often drops the space between two words of a short caption ("LambdaFunctions"). When the
 * label has exactly the letters and digits of the catalogue spelling it matched (or the name),
 * that spelling is the same name written right; any other label stays as it was read.
 */
export function catalogueSpelling(label: string, spellings: readonly string[]): string {
  const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const squashed = squash(label);
  return spellings.find((spelling) => squash(spelling) === squashed) ?? label;
}

function toTuple(box: Box): StructureBox {
  return [Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height)];
}
