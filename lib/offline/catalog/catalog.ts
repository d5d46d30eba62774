/**
 * "Know the parts": a curated catalogue of cloud, data, ML, DevOps and architecture concepts
 * (concepts.json) and a matcher from OCR'd diagram labels to those concepts.
 *
 * The catalogue is validated once, when this module loads (schema, unique ids, no alias that
 * means two concepts), and an alias index is precomputed so that matching a label is a handful
 * of map look-ups.
 *
 * Matching, in short:
 * - every alias and every label is cut into words (on spaces and punctuation) and words into
 *   parts (on camelCase and letter/digit changes: "APIGateway" -> API|Gateway);
 * - the comparison key is the lower-cased parts joined without spaces, each word singularised
 *   ("Functions" -> "function") and OCR look-alikes folded (I/i/1 -> l, 0 -> o, rn -> m), so
 *   dropped spaces, case, punctuation, "&"/"and", plurals and I/l/O/0 slips all compare equal;
 * - a space the OCR did read in the label must fall where the alias has a word or camelCase
 *   boundary: "Data Flow" is not "Dataflow", but "Dynamo DB" is "DynamoDB";
 * - a label may carry extra words ("Spark Cluster", "Envoy Sidecar"); then the specific
 *   alias wins, and a vendor product beats an open-source project, which beats a Kubernetes
 *   primitive, which beats a generic concept ("S3 Data Lake" -> Amazon S3), unless the
 *   generic phrase contains the product ("Lambda Architecture");
 * - one-word aliases of generic and Kubernetes concepts ("Users", "Cache", "Pod") only match
 *   a whole label, never a word inside a longer one ("User Service" matches nothing);
 * - vendor prefixes are optional: "Athena", "Amazon Athena" and "AWS Athena" all match;
 * - a last, one-edit fuzzy pass catches a dropped or swapped letter in longer names.
 * Precision comes first: a label that is ambiguous or only generic words returns null.
 */
import "server-only";
import { z } from "zod";
import catalogJson from "./concepts.json";

export const CONCEPT_CATEGORIES = [
  "ingestion",
  "compute",
  "storage",
  "analytics",
  "ml",
  "serving",
  "monitoring",
  "security",
  "devops",
  "client",
  "networking",
] as const;
export type ConceptCategory = (typeof CONCEPT_CATEGORIES)[number];

export const CONCEPT_VENDORS = [
  "aws",
  "azure",
  "gcp",
  "databricks",
  "kubernetes",
  "open-source",
  "generic",
] as const;
export type ConceptVendor = (typeof CONCEPT_VENDORS)[number];

export interface Concept {
  /** Stable kebab-case id, e.g. "aws-kinesis-data-streams". */
  readonly id: string;
  /** Canonical display name, e.g. "Amazon Kinesis Data Streams". */
  readonly name: string;
  /** What diagrams actually print, e.g. "Kinesis Streams", "KDS". */
  readonly aliases: readonly string[];
  /** One sentence: what the part does in an architecture. */
  readonly role: string;
  readonly category: ConceptCategory;
  readonly vendor: ConceptVendor;
}

export interface ConceptMatch {
  readonly concept: Concept;
  /** 0..1: 1 is an exact alias; OCR folding, fuzzy edits and extra words lower it. */
  readonly score: number;
  /** The alias (or vendor-prefixed alias) that matched. */
  readonly alias: string;
}

export interface MatchOptions {
  /** Matches scoring below this are dropped (default 0.6). */
  readonly minScore?: number;
}

/** A role is one sentence: starts with a capital or digit, ends with ".", no inner sentence end. */
export function isOneSentence(text: string): boolean {
  return (
    /^[A-Z0-9]/.test(text) &&
    text.endsWith(".") &&
    !/[.!?]\s/.test(text.slice(0, -1)) &&
    !/[\r\n]/.test(text)
  );
}

const conceptSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "id must be kebab-case"),
  name: z.string().trim().min(1),
  aliases: z.array(z.string().trim().min(1)),
  role: z
    .string()
    .min(20)
    .max(240)
    .refine(isOneSentence, "role must be exactly one sentence ending with a full stop"),
  category: z.enum(CONCEPT_CATEGORIES),
  vendor: z.enum(CONCEPT_VENDORS),
});

const catalogSchema = z
  .strictObject({
    version: z.literal(1),
    concepts: z.array(conceptSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.concepts.forEach((concept, index) => {
      if (seen.has(concept.id)) {
        ctx.addIssue({
          code: "custom",
          message: `duplicate concept id "${concept.id}"`,
          path: ["concepts", index, "id"],
        });
      }
      seen.add(concept.id);
    });
  });

// ---------------------------------------------------------------------------------------------
// Text normalisation

/** Words that carry no identity: ignored for coverage, allowed around a one-word alias. */
const FILLER_WORDS = new Set([
  "optional",
  "the",
  "a",
  "an",
  "of",
  "for",
  "and",
  "or",
  "on",
  "in",
  "with",
  "via",
  "using",
  "to",
  "from",
  "by",
  "at",
  "vs",
  "versus",
]);
/** "Redis on GKE": the part before the connector is what the box is. */
const CONNECTOR_WORDS = new Set(["on", "with", "via", "using", "in"]);
/** "Kinesis and Firehose": two parts in one label, so no single answer. */
const CONJUNCTION_WORDS = new Set(["and", "or", "vs", "versus"]);
const WORD_SYNONYMS = new Map([
  ["svc", "service"],
  ["mgmt", "management"],
]);

const VENDOR_PREFIXES: Partial<Record<ConceptVendor, readonly string[]>> = {
  aws: ["AWS", "Amazon"],
  azure: ["Azure", "Microsoft Azure", "Microsoft"],
  gcp: ["Google Cloud", "Google", "GCP"],
  databricks: ["Databricks"],
};
const ALL_VENDOR_PREFIXES = Object.values(VENDOR_PREFIXES)
  .flat()
  .sort((a, b) => b.length - a.length);

/** A concept's name as people say it without its vendor: "Amazon Kinesis Data Streams" → "Kinesis Data Streams". */
export function withoutVendor(name: string): string {
  const prefix = ALL_VENDOR_PREFIXES.find((each) => name.toLowerCase().startsWith(`${each.toLowerCase()} `));
  return prefix ? name.slice(prefix.length + 1) : name;
}

const VENDOR_WORDS = new Set([
  "aws",
  "amazon",
  "azure",
  "microsoft",
  "google",
  "gcp",
  "databricks",
]);

/** How specific a vendor's concepts are, for labels that name two things at once. */
const VENDOR_TIER: Record<ConceptVendor, number> = {
  aws: 3,
  azure: 3,
  gcp: 3,
  databricks: 3,
  "open-source": 2,
  kubernetes: 1.5,
  generic: 1,
};

const EXACTNESS_FOLDED = 0.95;
const EXACTNESS_FUZZY = 0.85;
const PARENTHETICAL_FACTOR = 0.95;
const FUZZY_MIN_ALIAS_LENGTH = 8;
const FUZZY_MIN_QUERY_LENGTH = 7;
const FUZZY_MIN_EDITED_WORD = 4;
const DEFAULT_MIN_SCORE = 0.6;
/**
 * The longest label matched. A label is a box's caption; a text this long is a paragraph, whose
 * best alias covers too little of it to score (an alias spans at most a few words). Past it the
 * label is not read at all, so no label costs more than this much matching.
 */
export const MAX_LABEL_CHARS = 2_000;

/** One part of a word: "APIGateway" has two, "API" and "Gateway". */
interface Unit {
  /** Lower-cased, singularised, OCR-folded. */
  readonly loose: string;
  /** Lower-cased only. */
  readonly strict: string;
  /** This unit begins a word (a space or punctuation precedes it in the text). */
  readonly wordStart: boolean;
  /** Index of the word this unit belongs to. */
  readonly word: number;
}

interface Word {
  readonly raw: string;
  readonly lower: string;
  readonly filler: boolean;
}

interface Phrase {
  readonly words: readonly Word[];
  readonly units: readonly Unit[];
}

function isUpper(c: string): boolean {
  return c >= "A" && c <= "Z";
}
function isLower(c: string): boolean {
  return c >= "a" && c <= "z";
}
function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/** Offsets inside a word where camelCase or a letter/digit change starts a new part. */
function partBoundaries(word: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < word.length; i++) {
    const a = word[i - 1]!;
    const b = word[i]!;
    const next = word[i + 1];
    if (isDigit(a) !== isDigit(b)) out.push(i);
    else if (isLower(a) && isUpper(b)) out.push(i);
    else if (isUpper(a) && isUpper(b) && next !== undefined && isLower(next)) {
      // "APIGateway" -> API|Gateway, but "APIs" and "VMs" are plural acronyms, not A|PIs.
      if (!(next === "s" && i + 2 === word.length)) out.push(i);
    }
  }
  return out;
}

/**
 * Crude singular of one word part. It only has to be consistent (labels and aliases go
 * through the same function), not correct English: "Redis" -> "redi" on both sides is fine.
 */
function singularize(part: string): string {
  if (/\d/.test(part)) return part;
  if (part.length >= 5 && part.endsWith("ies")) return `${part.slice(0, -3)}y`;
  if (part.length >= 5 && part.endsWith("sses")) return part.slice(0, -2);
  if (part.length >= 3 && part.endsWith("s") && !part.endsWith("ss") && !part.endsWith("us")) {
    return part.slice(0, -1);
  }
  return part;
}

/** Characters PaddleOCR confuses on diagrams, folded to one representative. */
function foldLookalikes(part: string): string {
  return part.replace(/rn/g, "m").replace(/[i1]/g, "l").replace(/0/g, "o");
}

function prepareText(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?\b/g, " ") // IPv4 addresses and CIDRs
    .replace(/\b[a-z]{2}(?:-gov)?-[a-z]+-\d\b/gi, " ") // region codes such as us-east-1
    .replace(/[&+]/g, " and ");
}

/** Cuts already-prepared text into words and units. */
function toPhrase(prepared: string): Phrase {
  const words: Word[] = [];
  const units: Unit[] = [];
  for (const match of prepared.matchAll(/[A-Za-z0-9]+/g)) {
    const raw = match[0];
    const lower0 = raw.toLowerCase();
    const synonym = WORD_SYNONYMS.get(lower0);
    const lower = synonym ?? lower0;
    const index = words.length;
    words.push({ raw, lower, filler: FILLER_WORDS.has(lower) || /^\d+$/.test(lower) });
    const cuts = synonym ? [] : partBoundaries(raw);
    [...cuts, lower.length].forEach((cut, i) => {
      const strict = lower.slice(i === 0 ? 0 : cuts[i - 1], cut);
      const loose = foldLookalikes(singularize(strict));
      if (loose) units.push({ loose, strict, wordStart: i === 0, word: index });
    });
  }
  return { words, units };
}

/**
 * The matching key of a label or alias: lower-case, singular, OCR look-alikes folded, no
 * spaces or punctuation ("Kinesis Streams", "KinesisStream" and "Klnesis streams" share one).
 */
export function normalizeLabel(text: string): string {
  return toPhrase(prepareText(text))
    .units.map((unit) => unit.loose)
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Catalogue and alias index

interface IndexedConcept {
  readonly concept: Concept;
  readonly tier: number;
}

interface AliasEntry {
  readonly text: string;
  readonly owner: IndexedConcept;
  readonly loose: string;
  readonly strict: string;
  /** Offsets in `loose` where the alias has a word or camelCase boundary. */
  readonly boundaries: ReadonlySet<number>;
  /** Offsets in `loose` where the alias has a space or punctuation. */
  readonly wordStarts: readonly number[];
  readonly wordCount: number;
  readonly unitCount: number;
  /** Added by putting a vendor prefix in front of an alias. */
  readonly generated: boolean;
  /** May match inside a longer label (false for one-word generic/Kubernetes aliases). */
  readonly partial: boolean;
}

interface CatalogIndex {
  readonly concepts: readonly Concept[];
  readonly byLoose: ReadonlyMap<string, readonly AliasEntry[]>;
  /** Fuzzy look-up: each long explicit alias under its own key and every one-deletion of it. */
  readonly byDeletion: ReadonlyMap<string, readonly AliasEntry[]>;
  readonly maxUnits: number;
  /** The longest key of any alias: a span of a label longer than this by two names nothing. */
  readonly maxLooseLength: number;
}

function compileAlias(text: string, owner: IndexedConcept, generated: boolean): AliasEntry | null {
  const phrase = toPhrase(prepareText(text));
  if (phrase.units.length === 0) return null;
  let loose = "";
  let strict = "";
  const boundaries = new Set<number>();
  const wordStarts: number[] = [];
  phrase.units.forEach((unit, i) => {
    if (i > 0) {
      boundaries.add(loose.length);
      if (unit.wordStart) wordStarts.push(loose.length);
    }
    loose += unit.loose;
    strict += unit.strict;
  });
  const vendor = owner.concept.vendor;
  const oneWord = phrase.words.length === 1;
  return {
    text,
    owner,
    loose,
    strict,
    boundaries,
    wordStarts,
    wordCount: phrase.words.length,
    unitCount: phrase.units.length,
    generated,
    partial: !(oneWord && (vendor === "generic" || vendor === "kubernetes")),
  };
}

function deletions(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < key.length; i++) out.push(key.slice(0, i) + key.slice(i + 1));
  return out;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Validates raw catalogue data and builds the alias index. Throws on a schema error, a
 * duplicate id, an alias that normalises to nothing, or one alias (by its lower-case spelling)
 * claimed by two concepts.
 */
function buildIndex(raw: unknown): CatalogIndex {
  const parsed = catalogSchema.parse(raw);
  const concepts: Concept[] = parsed.concepts.map((c) =>
    Object.freeze({ ...c, aliases: Object.freeze([...c.aliases]) }),
  );
  const explicitByStrict = new Map<string, AliasEntry[]>();
  const generatedByStrict = new Map<string, AliasEntry[]>();
  const problems: string[] = [];
  /** Same spelling with the same boundaries: "Auto Scaling" and "Autoscaling" are both kept. */
  const shapeOf = (e: AliasEntry) => `${e.strict}|${[...e.boundaries].join(",")}`;

  for (const concept of concepts) {
    const owner: IndexedConcept = { concept, tier: VENDOR_TIER[concept.vendor] };
    const own = new Set<string>();
    for (const text of [concept.name, ...concept.aliases]) {
      const entry = compileAlias(text, owner, false);
      if (!entry) {
        problems.push(`${concept.id}: alias "${text}" has no letters or digits`);
        continue;
      }
      if (own.has(shapeOf(entry))) continue;
      own.add(shapeOf(entry));
      const other = explicitByStrict.get(entry.strict)?.find((e) => e.owner !== owner);
      if (other) {
        problems.push(
          `alias "${text}" of ${concept.id} is also "${other.text}" of ${other.owner.concept.id}`,
        );
        continue;
      }
      pushTo(explicitByStrict, entry.strict, entry);
    }
    const prefixes = VENDOR_PREFIXES[concept.vendor] ?? [];
    for (const text of [concept.name, ...concept.aliases]) {
      const first = toPhrase(prepareText(text)).words[0]?.lower;
      if (!first || VENDOR_WORDS.has(first)) continue;
      for (const prefix of prefixes) {
        const entry = compileAlias(`${prefix} ${text}`, owner, true);
        if (!entry || own.has(shapeOf(entry))) continue;
        own.add(shapeOf(entry));
        pushTo(generatedByStrict, entry.strict, entry);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid concept catalogue:\n- ${problems.join("\n- ")}`);
  }

  const byLoose = new Map<string, AliasEntry[]>();
  const byDeletion = new Map<string, AliasEntry[]>();
  let maxUnits = 1;
  let maxLooseLength = 1;
  const add = (entry: AliasEntry) => {
    pushTo(byLoose, entry.loose, entry);
    maxUnits = Math.max(maxUnits, entry.unitCount);
    maxLooseLength = Math.max(maxLooseLength, entry.loose.length);
  };
  for (const entries of explicitByStrict.values()) {
    for (const entry of entries) {
      add(entry);
      if (entry.loose.length >= FUZZY_MIN_ALIAS_LENGTH) {
        for (const key of new Set([entry.loose, ...deletions(entry.loose)])) {
          pushTo(byDeletion, key, entry);
        }
      }
    }
  }
  for (const [strict, entries] of generatedByStrict) {
    if (explicitByStrict.has(strict)) continue; // an explicit alias of some concept wins
    entries.forEach(add);
  }
  return { concepts: Object.freeze(concepts), byLoose, byDeletion, maxUnits, maxLooseLength };
}

const INDEX = buildIndex(catalogJson);

/** Every concept of the catalogue, in file order. */
export const concepts: readonly Concept[] = INDEX.concepts;

/** Validates catalogue data the way the module does at load time; throws on a problem. */
export function parseCatalog(raw: unknown): readonly Concept[] {
  return buildIndex(raw).concepts;
}

// ---------------------------------------------------------------------------------------------
// Matching

interface Candidate {
  readonly entry: AliasEntry;
  /** First and last unit of the span, inclusive. */
  readonly start: number;
  readonly end: number;
  readonly exactness: number;
  /** Length of the matched key. */
  readonly length: number;
}

/**
 * If two words differ by exactly one edit (insert, delete, substitute, swap neighbours),
 * the offset of the first difference; otherwise -1.
 */
function oneEditAt(a: string, b: string): number {
  if (a === b || Math.abs(a.length - b.length) > 1) return -1;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return i;
    if (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)) return i;
    return -1;
  }
  if (a.length + 1 === b.length) return a.slice(i) === b.slice(i + 1) ? i : -1;
  return a.slice(i + 1) === b.slice(i) ? i : -1;
}

/** One concept, or null when nothing (or more than one concept) fits. */
function lookupExact(loose: string, strict: string, wordStarts: readonly number[]) {
  const entries = INDEX.byLoose.get(loose);
  if (!entries) return null;
  // A space the OCR read must sit where the alias has a boundary too.
  const fitting = entries.filter((e) => wordStarts.every((offset) => e.boundaries.has(offset)));
  if (fitting.length === 0) return null;
  const sameSpelling = fitting.filter((e) => e.strict === strict);
  let pool = sameSpelling.length > 0 ? sameSpelling : fitting;
  const explicit = pool.filter((e) => !e.generated);
  if (explicit.length > 0) pool = explicit;
  const first = pool[0]!;
  if (pool.some((e) => e.owner !== first.owner)) return null;
  return { entry: first, exactness: sameSpelling.length > 0 ? 1 : EXACTNESS_FOLDED };
}

function lookupFuzzy(
  loose: string,
  wordStarts: readonly number[],
  wordLengths: readonly number[],
): AliasEntry | null {
  const hits = new Set<AliasEntry>();
  for (const key of [loose, ...deletions(loose)]) {
    for (const entry of INDEX.byDeletion.get(key) ?? []) hits.add(entry);
  }
  let found: AliasEntry | null = null;
  for (const entry of hits) {
    if (entry.loose[0] !== loose[0]) continue;
    if (wordStarts.length + 1 > entry.unitCount) continue;
    const at = oneEditAt(loose, entry.loose);
    if (at < 0) continue;
    // The edit must fall in a word of 4+ characters: one letter off in "API"/"App" or
    // "EMR"/"ECR" is another product, not an OCR slip.
    let offset = 0;
    let edited = wordLengths[wordLengths.length - 1]!;
    for (const length of wordLengths) {
      if (at < offset + length) {
        edited = length;
        break;
      }
      offset += length;
    }
    if (edited < FUZZY_MIN_EDITED_WORD) continue;
    if (found && found.owner !== entry.owner) return null; // ambiguous
    found = entry;
  }
  return found;
}

/** Whether a span of units covers everything in the phrase except filler words. */
function wholeChecker({ units, words }: Phrase): (start: number, end: number) => boolean {
  const contentBefore = [0];
  units.forEach((u, i) => contentBefore.push(contentBefore[i]! + (words[u.word]!.filler ? 0 : 1)));
  const total = contentBefore[units.length]!;
  return (start, end) => contentBefore[start] === 0 && contentBefore[end + 1] === total;
}

function collectCandidates(
  phrase: Phrase,
  allowExactOnly: (start: number, end: number) => boolean,
): Candidate[] {
  const { units } = phrase;
  const out: Candidate[] = [];
  for (let start = 0; start < units.length; start++) {
    let loose = "";
    let strict = "";
    const wordStarts: number[] = [];
    const wordLengths: number[] = [];
    for (let end = start; end < units.length && end - start < INDEX.maxUnits; end++) {
      const unit = units[end]!;
      if (end > start && unit.wordStart) {
        wordStarts.push(loose.length);
        wordLengths.push(0);
      }
      if (wordLengths.length === 0) wordLengths.push(0);
      const lastWord = wordLengths.length - 1;
      wordLengths[lastWord] = (wordLengths[lastWord] ?? 0) + unit.loose.length;
      loose += unit.loose;
      strict += unit.strict;
      // Neither an alias nor one edit of one: a longer span only grows, and its fuzzy look-up
      // would cost the square of its length (a label of one long run of letters).
      if (loose.length > INDEX.maxLooseLength + 1) break;
      const whole = allowExactOnly(start, end);
      const exact = lookupExact(loose, strict, wordStarts);
      if (exact) {
        if (exact.entry.partial || whole) {
          const { entry, exactness } = exact;
          out.push({ entry, start, end, exactness, length: loose.length });
        }
        continue;
      }
      if (loose.length >= FUZZY_MIN_QUERY_LENGTH) {
        const fuzzy = lookupFuzzy(loose, wordStarts, wordLengths);
        if (fuzzy && (fuzzy.partial || whole)) {
          out.push({ entry: fuzzy, start, end, exactness: EXACTNESS_FUZZY, length: loose.length });
        }
      }
    }
  }
  return out;
}

/** Drops candidates whose span lies inside a longer (or better, same) candidate's span. */
function outermost(candidates: readonly Candidate[]): Candidate[] {
  const sorted = [...candidates].sort(
    (a, b) => b.end - b.start - (a.end - a.start) || b.exactness - a.exactness || a.start - b.start,
  );
  const kept: Candidate[] = [];
  // Kept spans by their first unit: no span is longer than the longest alias, so only those
  // starting a little before a candidate can hold it, and a label of many words costs no square.
  const keptFrom = new Map<number, Candidate[]>();
  for (const c of sorted) {
    let inside = false;
    for (let start = Math.max(0, c.end - INDEX.maxUnits + 1); start <= c.start && !inside; start++) {
      inside = keptFrom.get(start)?.some((k) => c.end <= k.end) ?? false;
    }
    if (inside) continue;
    kept.push(c);
    pushTo(keptFrom, c.start, c);
  }
  return kept;
}

function rank(a: Candidate, b: Candidate): number {
  return (
    b.entry.owner.tier - a.entry.owner.tier ||
    b.length - a.length ||
    b.exactness - a.exactness ||
    b.start - a.start // the head of an English compound is its last word
  );
}

interface PartResult {
  readonly best: Candidate | null;
  readonly ambiguous: boolean;
  readonly coverage: number;
}

function matchPhrase(phrase: Phrase): PartResult {
  const { units, words } = phrase;
  const none = { best: null, ambiguous: false, coverage: 0 };
  const content = units.filter((u) => !words[u.word]!.filler);
  if (content.length === 0) return none;
  let candidates = outermost(collectCandidates(phrase, wholeChecker(phrase)));
  if (candidates.length === 0) return none;

  // Each question below is asked of every word, so the answers are worked out once per word:
  // asking every candidate for every word costs the square of a long label's length.
  const firstUnitOf = new Array<number>(words.length).fill(-1);
  units.forEach((u, i) => {
    if (firstUnitOf[u.word] === -1) firstUnitOf[u.word] = i;
  });
  const outsideOf = (spans: readonly Candidate[]) => {
    const depth = new Array<number>(words.length + 1).fill(0);
    for (const c of spans) {
      depth[units[c.start]!.word]!++;
      depth[units[c.end]!.word + 1]!--;
    }
    let covering = 0;
    return words.map((_, w) => (covering += depth[w]!) === 0);
  };

  // "Redis on GKE", "Spark with Delta": what comes before the connector is the part.
  const outsideFirst = outsideOf(candidates);
  const connector = words.findIndex((w, i) => CONNECTOR_WORDS.has(w.lower) && outsideFirst[i]);
  if (connector >= 0) {
    const at = firstUnitOf[connector]!;
    const before = candidates.filter((c) => c.end < at);
    if (before.length > 0) candidates = before;
  }
  // "Kinesis and Firehose": two different parts named in one label.
  const distinct = new Set(candidates.map((c) => c.entry.owner));
  if (distinct.size > 1 && twoPartsAroundConjunction(phrase, candidates, outsideOf(candidates), firstUnitOf)) {
    return { best: null, ambiguous: true, coverage: 0 };
  }
  const best = [...candidates].sort(rank)[0]!;
  // Coverage by characters undervalues short product names ("S3 Data Lake"), by words
  // undervalues long ones; take the kinder of the two.
  const inBest = (i: number) => i >= best.start && i <= best.end;
  const chars = (keep: (u: Unit, i: number) => boolean) =>
    units.reduce(
      (sum, u, i) => (keep(u, i) && !words[u.word]!.filler ? sum + u.loose.length : sum),
      0,
    );
  const charCoverage = chars(() => true) > 0 ? chars((_, i) => inBest(i)) / chars(() => true) : 0;
  const contentWords = new Set(content.map((u) => u.word));
  const bestWords = new Set(units.slice(best.start, best.end + 1).map((u) => u.word));
  const wholeWords = [...bestWords].filter(
    (w) => contentWords.has(w) && units.every((u, i) => u.word !== w || inBest(i)),
  ).length;
  const wordCoverage = contentWords.size > 0 ? wholeWords / contentWords.size : 0;
  return { best, ambiguous: false, coverage: Math.min(1, Math.max(charCoverage, wordCoverage)) };
}

/**
 * Whether a conjunction outside every candidate has a part on its left and, on its right, a part
 * other than that one: "Kinesis and Firehose", not "Kinesis and more". What lies left and right
 * of each unit is summed up once from both ends (no part, one part and which, or several).
 */
function twoPartsAroundConjunction(
  { units, words }: Phrase,
  candidates: readonly Candidate[],
  outside: readonly boolean[],
  firstUnitOf: readonly number[],
): boolean {
  type Parts = { owner: IndexedConcept | null; several: boolean };
  const add = (parts: Parts, owner: IndexedConcept): Parts =>
    parts.owner === null ? { owner, several: false } : { owner: parts.owner, several: parts.several || parts.owner !== owner };
  const endingAt: IndexedConcept[][] = units.map(() => []);
  const startingAt: IndexedConcept[][] = units.map(() => []);
  for (const c of candidates) {
    endingAt[c.end]!.push(c.entry.owner);
    startingAt[c.start]!.push(c.entry.owner);
  }
  // leftOf[at]: parts of candidates ending before unit `at`; rightOf[at]: starting after it.
  const leftOf: Parts[] = [{ owner: null, several: false }];
  for (let i = 0; i < units.length; i++) leftOf.push(endingAt[i]!.reduce(add, leftOf[i]!));
  const rightOf: Parts[] = new Array<Parts>(units.length + 1);
  rightOf[units.length] = { owner: null, several: false };
  for (let i = units.length - 1; i >= 0; i--) rightOf[i] = startingAt[i + 1]?.reduce(add, rightOf[i + 1]!) ?? rightOf[i + 1]!;
  return words.some((word, w) => {
    if (!CONJUNCTION_WORDS.has(word.lower) || !outside[w]) return false;
    const at = firstUnitOf[w]!;
    if (at < 0) return false;
    const left = leftOf[at]!;
    const right = rightOf[at]!;
    if (left.owner === null || right.owner === null) return false;
    return left.several || right.several || right.owner !== left.owner;
  });
}

function scoreOf(result: PartResult): number {
  const best = result.best!;
  const coverageFactor = result.coverage >= 0.999 ? 1 : 0.5 + 0.4 * result.coverage;
  return best.exactness * coverageFactor;
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}

/** Splits "Alerting (SNS)" into its main text and its parentheticals. */
function splitParentheticals(prepared: string): { main: string; inner: string[] } {
  const inner: string[] = [];
  const main = prepared.replace(/[([]([^()[\]]*)[)\]]/g, (_, content: string) => {
    if (content.replace(/[^A-Za-z0-9]/g, "").length > 1) inner.push(content);
    return " ";
  });
  return { main, inner };
}

/**
 * The catalogue concept a diagram label names, or null. Tolerates OCR slips (dropped spaces,
 * I/l/1 and O/0 confusion, case, punctuation, "&"/"and", plurals), optional vendor prefixes and
 * extra words; returns null for unknown, generic-only or ambiguous labels. A parenthetical that
 * names a more specific product wins over the main text ("Alerting (SNS)" -> Amazon SNS). A label
 * longer than MAX_LABEL_CHARS is not a component's name and returns null.
 */
export function matchConcept(label: string, options: MatchOptions = {}): ConceptMatch | null {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  if (typeof label !== "string" || label.trim() === "" || label.length > MAX_LABEL_CHARS) return null;
  const { main, inner } = splitParentheticals(prepareText(label));
  const mainResult = matchPhrase(toPhrase(main));
  if (mainResult.ambiguous) return null;

  let chosen: { result: PartResult; factor: number } | null = mainResult.best
    ? { result: mainResult, factor: 1 }
    : null;
  for (const text of inner) {
    const result = matchPhrase(toPhrase(text));
    if (!result.best || result.ambiguous) continue;
    if (!chosen || result.best.entry.owner.tier > chosen.result.best!.entry.owner.tier) {
      chosen = { result, factor: PARENTHETICAL_FACTOR };
    }
  }
  if (!chosen) return null;
  const score = round(scoreOf(chosen.result) * chosen.factor);
  if (score < minScore) return null;
  const entry = chosen.result.best!.entry;
  return { concept: entry.owner.concept, score, alias: entry.text };
}
