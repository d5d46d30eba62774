import "server-only";

/**
 * The structure of a diagram as the offline analyzer read it: what `/api/structure` returns as
 * JSON, and what the Mermaid and draw.io files are written from. Boxes are in the pixels of the
 * analysed image, as [left, top, width, height].
 */
export type StructureBox = [x: number, y: number, width: number, height: number];

export interface StructureComponent {
  id: string;
  /** The box's title as read (the caption under an icon, the first line of a box). */
  name: string;
  box: StructureBox;
  /** The id of the innermost group around it, or null. */
  group: string | null;
  /** The number of the first step marker attached to it, or null. */
  step: number | null;
  /** The catalogue's name for it, when the catalogue knows it. */
  catalogue: string | null;
}

export interface StructureGroup {
  id: string;
  name: string;
  box: StructureBox;
  parent: string | null;
}

export interface StructureEdge {
  from: string;
  to: string;
  label: string | null;
  /** Whether an arrow head gives the direction; false for a plain line. */
  directed: boolean;
}

export interface StructureStep {
  number: number;
  component: string | null;
  group: string | null;
  /** The arrow the marker sits on, as [from, to], when it sits on one. */
  edge: [from: string, to: string] | null;
  /** The text written beside the marker, when there is any. */
  text: string | null;
}

export interface StructureText {
  text: string;
  box: StructureBox;
}

export interface DiagramStructure {
  image: { width: number; height: number };
  title: string | null;
  components: StructureComponent[];
  groups: StructureGroup[];
  edges: StructureEdge[];
  steps: StructureStep[];
  /** The diagram's key (what each icon or line style means), kept apart from the architecture. */
  legend: StructureText[];
  /** Text that belongs to no component, group or arrow: notes, footnotes. */
  text: StructureText[];
}
