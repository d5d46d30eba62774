import "server-only";
/** Shapes shared by the offline analyzer's stages: OCR → layout → answer. */

/** A rectangle in image pixels: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One line of text the OCR read, where it read it. */
export interface TextBox {
  text: string;
  /** 0–1, the recogniser's own confidence. */
  confidence: number;
  box: Box;
}

/** A region the layout found: a component box, or a group box holding components. */
export interface LayoutNode {
  id: string;
  /** The label as read (several OCR lines of one box joined with spaces). */
  label: string;
  box: Box;
  /** The id of the container this node sits in, or null at the top level. */
  containerId: string | null;
}

export interface LayoutContainer {
  id: string;
  /** The container's title as read. */
  title: string;
  box: Box;
  /** The enclosing container, for nested groups ("AWS Cloud" › "Data Ingestion"). */
  parentId: string | null;
}

/** A numbered step marker and what it is attached to. */
export interface StepMarker {
  number: number;
  box: Box;
  /** The component the step is about (for a marker on an arrow, the arrow's target). */
  nodeId: string | null;
  /** The group the marker sits on, when it sits on a group's frame rather than a component. */
  containerId?: string | null;
  /** The arrow the marker sits on, when it sits on one. */
  connection?: { from: string; to: string } | null;
  /** The text written beside the marker ("Commit code"), when there is any. */
  text?: string | null;
}

export interface Connection {
  from: string;
  to: string;
  /** Text printed on the arrow ("events", "HTTPS"), when there is one. */
  label?: string;
  /** False for a line without an arrow head; absent or true when a head gives the direction. */
  directed?: boolean;
}

export interface DiagramLayout {
  width: number;
  height: number;
  /** The diagram's title, when one stands apart at the top. */
  title: string | null;
  containers: LayoutContainer[];
  nodes: LayoutNode[];
  steps: StepMarker[];
  connections: Connection[];
  /** Text that is neither a node, a container title, an arrow label nor in the legend: notes. */
  notes: TextBox[];
  /** The diagram's key (what each icon or line style means), when one was recognised. */
  legend?: TextBox[];
}

/** Decoded pixels as sharp's `.raw()` gives them (1–4 channels, 8-bit, row-major). */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}
