import { arrow, box, stepCircle, type Diagram } from "@/tests/offline/layout/diagrams";

/**
 * The test diagrams. "Cloud" is a dashed group holding two bordered groups on tinted fills;
 * an arrow from a top-level component enters it across both borders, another leaves one group
 * for the other, a step circle sits on the arrow between two components.
 */
export const NESTED: Diagram = {
  width: 1000,
  height: 600,
  shapes: [
    box(20, 200, 140, 60),
    `<rect x="200" y="70" width="780" height="500" rx="4" fill="none" stroke="#546e7a" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    box(230, 120, 330, 420, "#e3f2fd"),
    box(260, 180, 200, 60),
    box(260, 330, 220, 60),
    box(600, 120, 350, 420, "#e8f5e9"),
    box(640, 180, 200, 60),
    box(640, 330, 240, 80),
    arrow(162, 228, 258, 212),
    arrow(360, 242, 360, 328),
    arrow(482, 350, 638, 222),
    stepCircle(388, 285, "1"),
  ].join(""),
  labels: [
    { text: "Test Pipeline", x: 20, y: 40, size: 24, weight: "bold" },
    { text: "Users", x: 50, y: 236 },
    { text: "HTTPS", x: 170, y: 206, size: 12 },
    { text: "Cloud", x: 214, y: 96, weight: "bold" },
    { text: "Ingestion", x: 244, y: 146, size: 15, weight: "bold" },
    { text: "API Gateway", x: 280, y: 216 },
    { text: "Lambda Functions", x: 280, y: 366 },
    { text: "Storage", x: 614, y: 146, size: 15, weight: "bold" },
    { text: "Amazon S3", x: 660, y: 216 },
    { text: "Data Lake", x: 660, y: 364 },
    { text: "Archive Tier", x: 660, y: 390 },
  ],
};

/** Columns on grey and tinted fills holding solid coloured boxes with white text, no borders. */
export const FILLED: Diagram = {
  width: 720,
  height: 400,
  shapes: [
    `<rect x="20" y="40" width="200" height="340" rx="6" fill="#f1f3f4" stroke="#bdbdbd"/>`,
    `<rect x="260" y="40" width="200" height="340" rx="6" fill="#e8f0fe" stroke="#bdbdbd"/>`,
    `<rect x="500" y="40" width="190" height="340" rx="6" fill="#fef7e0" stroke="#bdbdbd"/>`,
    `<rect x="40" y="100" width="160" height="50" rx="6" fill="#455a64"/>`,
    `<rect x="40" y="220" width="160" height="50" rx="6" fill="#455a64"/>`,
    `<rect x="280" y="100" width="160" height="50" rx="6" fill="#1a73e8"/>`,
    `<rect x="280" y="220" width="160" height="50" rx="6" fill="#1a73e8"/>`,
    `<rect x="520" y="100" width="150" height="50" rx="6" fill="#f9ab00"/>`,
    arrow(202, 125, 278, 125),
  ].join(""),
  labels: [
    { text: "Sources", x: 32, y: 66, size: 15, weight: "bold" },
    { text: "Ingest", x: 272, y: 66, size: 15, weight: "bold" },
    { text: "Store", x: 512, y: 66, size: 15, weight: "bold" },
    { text: "IoT Sensors", x: 52, y: 131, colour: "#ffffff", weight: "bold" },
    { text: "Partner APIs", x: 52, y: 251, colour: "#ffffff", weight: "bold" },
    { text: "Pub/Sub", x: 292, y: 131, colour: "#ffffff", weight: "bold" },
    { text: "Functions", x: 292, y: 251, colour: "#ffffff", weight: "bold" },
    { text: "BigQuery", x: 532, y: 131, colour: "#1f2933", weight: "bold" },
  ],
};

/**
 * A titled band holding icons with captions under them and no box around either, as published
 * cloud diagrams draw services; a note below; a plain disc icon that is no step marker.
 */
export const ICONS: Diagram = {
  width: 640,
  height: 360,
  shapes: [
    `<rect x="20" y="30" width="600" height="240" fill="#f7f7f7" stroke="#37474f" stroke-width="2"/>`,
    `<rect x="80" y="100" width="64" height="64" rx="4" fill="#8c4fff"/><path d="M92 150 L112 112 L132 150 Z" fill="none" stroke="#ffffff" stroke-width="3"/>`,
    `<rect x="300" y="100" width="64" height="64" rx="4" fill="#7aa116"/><circle cx="332" cy="132" r="18" fill="none" stroke="#ffffff" stroke-width="3"/>`,
    `<circle cx="520" cy="132" r="14" fill="#5c6bc0"/>`,
  ].join(""),
  labels: [
    { text: "Analytics", x: 34, y: 58, size: 18, weight: "bold" },
    { text: "Athena", x: 84, y: 192 },
    { text: "Glue", x: 314, y: 192 },
    { text: "Metrics are retained for thirty days in cold storage", x: 20, y: 320, size: 12 },
  ],
};
