import "server-only";
import type { DiagramStructure, StructureComponent, StructureGroup } from "@/lib/offline/structure/types";

/**
 * The structure as a Mermaid flowchart: each group a subgraph (nested as the groups are), each
 * component a node inside its group, each arrow a link (`-->` with a head, `---` without) with
 * its label. Left to right unless the diagram is taller than wide.
 */
export function structureToMermaid(structure: DiagramStructure): string {
  const direction = structure.image.height > structure.image.width ? "TB" : "LR";
  const lines = [`flowchart ${direction}`];
  const ids = new MermaidIds();
  const visit = (parent: string | null, indent: string) => {
    for (const group of structure.groups.filter((g) => g.parent === parent)) {
      lines.push(`${indent}subgraph ${ids.of(group.id)}["${mermaidLabel(group.name)}"]`);
      visit(group.id, `${indent}  `);
      lines.push(`${indent}end`);
    }
    for (const component of structure.components.filter((c) => c.group === parent)) {
      lines.push(`${indent}${ids.of(component.id)}["${mermaidLabel(componentLabel(component))}"]`);
    }
  };
  visit(null, "  ");
  // Components or groups whose parent is missing would otherwise be left out.
  const known = new Set(structure.groups.map((g) => g.id));
  for (const orphan of [...structure.groups, ...structure.components].filter((item) => orphanOf(item, known))) {
    lines.push(`  ${ids.of(orphan.id)}["${mermaidLabel(orphan.name)}"]`);
  }
  for (const edge of structure.edges) {
    const link = edge.directed ? "-->" : "---";
    const label = edge.label ? `|"${mermaidLabel(edge.label)}"|` : "";
    lines.push(`  ${ids.of(edge.from)} ${link}${label} ${ids.of(edge.to)}`);
  }
  return `${lines.join("\n")}\n`;
}

function orphanOf(item: StructureGroup | StructureComponent, known: Set<string>): boolean {
  const parent = "parent" in item ? item.parent : item.group;
  return parent !== null && !known.has(parent);
}

function componentLabel(component: StructureComponent): string {
  return component.step === null ? component.name : `${component.step}. ${component.name}`;
}

/** Text inside a quoted Mermaid label: quotes and line breaks would end it early. */
function mermaidLabel(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/\s+/g, " ").trim() || " ";
}

/** Mermaid ids made from the structure's ids: letters, digits and underscores, one per id. */
class MermaidIds {
  private readonly ids = new Map<string, string>();
  private readonly used = new Set<string>();

  of(id: string): string {
    const known = this.ids.get(id);
    if (known) return known;
    const base = `id_${id.replace(/\W/g, "_")}`;
    let candidate = base;
    for (let suffix = 2; this.used.has(candidate); suffix++) candidate = `${base}_${suffix}`;
    this.ids.set(id, candidate);
    this.used.add(candidate);
    return candidate;
  }
}
