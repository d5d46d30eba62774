import type { ComponentReading, ImageAnalysis } from "@/lib/offline/analyze-image";
import type { Box, Connection, LayoutContainer, StepMarker, TextBox } from "@/lib/offline/types";

/**
 * Hand-built analyzer readings for the answer and provider tests: what analyzeImage would hand
 * composeAnswer, without OCR. Concepts are written out here (not looked up in the catalogue) so
 * the expected roles are visible in the tests.
 */

export type ConceptReading = NonNullable<ComponentReading["concept"]>;

export const CONCEPTS = {
  apiGateway: {
    id: "api-gateway",
    name: "API Gateway", alias: "API Gateway",
    role: "Single entry point that routes and throttles client requests.",
    category: "serving",
  },
  lambda: { id: "aws-lambda", name: "AWS Lambda", alias: "Lambda Functions", role: "Runs event-driven code as serverless functions.", category: "compute" },
  kinesis: {
    id: "aws-kinesis-data-streams",
    name: "Amazon Kinesis Data Streams", alias: "Kinesis Streams",
    role: "Captures and stores real-time event streams in shards.",
    category: "ingestion",
  },
  s3: { id: "aws-s3", name: "Amazon S3", alias: "Amazon S3", role: "Object storage for files and data lakes.", category: "storage" },
  cloudwatch: {
    id: "aws-cloudwatch",
    name: "Amazon CloudWatch", alias: "Amazon CloudWatch",
    role: "Collects metrics and logs and raises alarms.",
    category: "monitoring",
  },
} satisfies Record<string, ConceptReading>;

export function box(x: number, y: number, width = 360, height = 110): Box {
  return { x, y, width, height };
}

export function text(value: string, at: Box = box(0, 0, 100, 24)): TextBox {
  return { text: value, confidence: 0.95, box: at };
}

export interface NodeSpec {
  id: string;
  label: string;
  box: Box;
  containerId: string | null;
  concept: ConceptReading | null;
}

export interface DiagramSpec {
  title?: string | null;
  containers?: LayoutContainer[];
  nodes: NodeSpec[];
  steps?: StepMarker[];
  connections?: Connection[];
  notes?: string[];
  width?: number;
  height?: number;
}

/** An ImageAnalysis of a diagram, with its texts made up from the labels and titles. */
export function diagramAnalysis(spec: DiagramSpec): ImageAnalysis {
  const { width = 1600, height = 900, title = null, containers = [], nodes, steps = [], connections = [], notes = [] } = spec;
  const layoutNotes = notes.map((note, index) => text(note, box(60, 840 + index * 30, 400, 24)));
  const texts = [
    ...(title ? [text(title, box(60, 30, 600, 40))] : []),
    ...containers.map((container) => text(container.title, box(container.box.x + 20, container.box.y + 20, 300, 28))),
    ...nodes.map((node) => text(node.label, box(node.box.x + 20, node.box.y + 40, 300, 24))),
    ...layoutNotes,
  ];
  return {
    width,
    height,
    texts: texts.sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x),
    layout: {
      width,
      height,
      title,
      containers,
      nodes: nodes.map(({ id, label, box: at, containerId }) => ({ id, label, box: at, containerId })),
      steps,
      connections,
      notes: layoutNotes,
    },
    components: nodes.map(({ id, label, box: at, containerId, concept }) => ({ node: { id, label, box: at, containerId }, concept })),
    isDiagram: true,
    colours: [
      { hex: "#f8f8f8", share: 0.62 },
      { hex: "#e8f8f8", share: 0.2 },
    ],
  };
}

export const INGESTION: LayoutContainer = { id: "c1", title: "Data Ingestion", box: box(60, 140, 640, 680), parentId: null };
export const STORAGE: LayoutContainer = { id: "c2", title: "Storage and Monitoring", box: box(920, 140, 620, 680), parentId: null };

/**
 * The clickstream pipeline, as the analyzer reads it when all goes well: two groups, five known
 * components, steps 1 and 2 on API Gateway and Lambda, three arrows (two labelled), one note.
 * Node ids follow analyzeLayout's order: stepped components first.
 */
export function clickstream(): ImageAnalysis {
  return diagramAnalysis({
    title: "Clickstream Analytics",
    containers: [INGESTION, STORAGE],
    nodes: [
      { id: "n1", label: "API Gateway", box: box(180, 260), containerId: "c1", concept: CONCEPTS.apiGateway },
      { id: "n2", label: "Lambda Functions", box: box(180, 460), containerId: "c1", concept: CONCEPTS.lambda },
      { id: "n3", label: "Kinesis Streams", box: box(180, 660), containerId: "c1", concept: CONCEPTS.kinesis },
      { id: "n4", label: "Amazon S3", box: box(1040, 260), containerId: "c2", concept: CONCEPTS.s3 },
      { id: "n5", label: "Amazon CloudWatch", box: box(1040, 560), containerId: "c2", concept: CONCEPTS.cloudwatch },
    ],
    steps: [
      { number: 1, box: box(110, 295, 41, 41), nodeId: "n1" },
      { number: 2, box: box(110, 495, 41, 41), nodeId: "n2" },
    ],
    connections: [
      { from: "n1", to: "n2" },
      { from: "n2", to: "n3", label: "events" },
      { from: "n3", to: "n4", label: "batches" },
    ],
    notes: ["All traffic over TLS"],
  });
}

/** A photo: no boxes, a sign's text, and its colours. */
export function photoAnalysis(texts: string[] = []): ImageAnalysis {
  return {
    width: 1200,
    height: 800,
    texts: texts.map((value, index) => text(value, box(100, 100 + index * 40, 200, 30))),
    layout: { width: 1200, height: 800, title: null, containers: [], nodes: [], steps: [], connections: [], notes: [] },
    components: [],
    isDiagram: false,
    colours: [
      { hex: "#c83828", share: 0.41 },
      { hex: "#283848", share: 0.22 },
      { hex: "#a8b8c8", share: 0.004 },
    ],
  };
}
