import "server-only";

/**
 * The offline analyzer, as the rest of the server uses it: an analyzer that runs OCR, layout and
 * the catalogue on its own thread, and the answer written from what it read. Everything else in
 * lib/offline is its inside (a lint rule keeps other modules out of it).
 */
export { createWorkerAnalyzer, type AnalyzeFunction, type AnalyzeOptions, type WorkerAnalyzerOptions } from "@/lib/offline/analyzer";
export type { AnalysisBudget, ImageAnalysis } from "@/lib/offline/analyze-image";
export { answerSections, OFFLINE_NOTICE, type Section } from "@/lib/offline/answer/compose-answer";
export {
  analyzeStructure,
  buildStructure,
  structureToDrawio,
  structureToMermaid,
  type DiagramStructure,
  type StructureBox,
  type StructureComponent,
  type StructureEdge,
  type StructureGroup,
  type StructureStep,
  type StructureText,
} from "@/lib/offline/structure";
