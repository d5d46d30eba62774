import { describe, expect, it, vi } from "vitest";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import { answerSections, composeAnswer, LOOK_BACK_TURNS, MAX_DESCRIBED_COMPONENTS, NAME_SCAN_CHARS, OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
import { WordRunNames, type NameScan } from "@/lib/offline/answer/word-run-names";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_PROMPT_CHARS } from "@/lib/shared/limits";
import {
  box,
  clickstream,
  CONCEPTS,
  diagramAnalysis,
  INGESTION,
  photoAnalysis,
  STORAGE,
  type DiagramSpec,
  type NodeSpec,
} from "@/tests/offline/analysis-fixtures";

const heading = (section: string) => section.split("\n")[0];
const section = (sections: string[], title: string) => {
  const found = sections.find((each) => heading(each) === title);
  if (!found) throw new Error(`no "${title}" section in:\n${sections.map(heading).join("\n")}`);
  return found;
};
/** The lines of a section after its heading and blank line. */
const body = (text: string) => text.split("\n").slice(2);

const ROLE = {
  apiGateway: CONCEPTS.apiGateway.role,
  lambda: CONCEPTS.lambda.role,
  kinesis: CONCEPTS.kinesis.role,
  s3: CONCEPTS.s3.role,
  cloudwatch: CONCEPTS.cloudwatch.role,
};
/** How the answer names each clickstream component: catalogue name added when it differs. */
const NAME = {
  apiGateway: "**API Gateway**",
  lambda: "**Lambda Functions** (AWS Lambda)",
  kinesis: "**Kinesis Streams** (Amazon Kinesis Data Streams)",
  s3: "**Amazon S3**",
  cloudwatch: "**Amazon CloudWatch**",
};

/** The clickstream diagram with some changes to its reading. */
function variant(change: (analysis: ImageAnalysis) => void): ImageAnalysis {
  const analysis = clickstream();
  change(analysis);
  return analysis;
}

function withNodes(nodes: NodeSpec[], extra: Partial<DiagramSpec> = {}): ImageAnalysis {
  return diagramAnalysis({ title: "Pipeline", containers: [INGESTION, STORAGE], nodes, ...extra });
}

describe("composeAnswer: every answer", () => {
  it.each([
    "Explain this architecture",
    "List every component and its role",
    "What does Kinesis Streams do?",
    "Redraw as a Mermaid diagram",
    "Find single points of failure",
    "Translate the labels to French",
  ])("starts with the offline notice, once: %j", (task) => {
    const sections = composeAnswer(clickstream(), task);
    expect(sections[0]).toBe(OFFLINE_NOTICE);
    expect(sections.filter((each) => each === OFFLINE_NOTICE)).toHaveLength(1);
    expect(sections.slice(1).join("\n")).not.toContain("Offline analysis");
  });

  it("starts with the offline notice for a picture too", () => {
    expect(composeAnswer(photoAnalysis(), "what colour is the car?")[0]).toBe(OFFLINE_NOTICE);
  });

  it.each([
    ["a diagram", clickstream()],
    ["a picture", photoAnalysis()],
  ])("leaves the notice out of the sections that follow it, for %s", (_, analysis) => {
    const sections = answerSections(analysis, "Explain this architecture").flatMap((section) => section() ?? []);
    expect(sections).not.toContain(OFFLINE_NOTICE);
    expect([OFFLINE_NOTICE, ...sections]).toEqual(composeAnswer(analysis, "Explain this architecture"));
  });

  it("says in the notice that no language model was used", () => {
    expect(OFFLINE_NOTICE).toMatch(/^> \*\*Offline analysis\.\*\*/);
    expect(OFFLINE_NOTICE).toContain("No language model was used");
  });
});

describe("composeAnswer: explain", () => {
  const sections = composeAnswer(clickstream(), "Explain this architecture");

  it("has the overview, the flow, the components, the data flow, the other text and a summary, in that order", () => {
    expect(sections.slice(1).map(heading)).toEqual([
      "## Overview",
      "## Flow, step by step",
      "## Components",
      "## Data flow",
      "## Other text in the diagram",
      "## Summary",
    ]);
  });

  it("names the diagram, its groups and the kinds of its components in the overview", () => {
    expect(body(section(sections, "## Overview"))).toEqual([
      "*Clickstream Analytics* shows 5 components in 2 groups: **Data Ingestion**, **Storage and Monitoring**. " +
        `By kind: serving (${NAME.apiGateway}); compute (${NAME.lambda}); ingestion (${NAME.kinesis}); storage (${NAME.s3}); monitoring (${NAME.cloudwatch}).`,
    ]);
  });

  it("follows the numbered steps in the flow", () => {
    expect(body(section(sections, "## Flow, step by step"))).toEqual([
      "Following the diagram's numbered steps:",
      "",
      `1. ${NAME.apiGateway}: ${ROLE.apiGateway}`,
      `2. ${NAME.lambda}: ${ROLE.lambda}`,
    ]);
  });

  it("takes the steps in their numbers' order, not the page's", () => {
    const analysis = variant(({ layout }) => {
      // Step 1 on Kinesis Streams at the bottom, step 2 on API Gateway at the top.
      layout.steps = [
        { number: 1, box: box(110, 695, 41, 41), nodeId: "n3" },
        { number: 2, box: box(110, 295, 41, 41), nodeId: "n1" },
      ];
    });
    const flow = section(composeAnswer(analysis, "Explain this architecture"), "## Flow, step by step");
    expect(body(flow).slice(2)).toEqual([`1. ${NAME.kinesis}: ${ROLE.kinesis}`, `2. ${NAME.apiGateway}: ${ROLE.apiGateway}`]);
  });

  it("takes the groups in reading order when there are no steps", () => {
    const analysis = variant(({ layout, components }) => {
      layout.steps = [];
      // Listed right group first and bottom node first: the answer must not follow the arrays.
      layout.containers.reverse();
      components.reverse();
    });
    const flow = section(composeAnswer(analysis, "Explain this architecture"), "## Flow, stage by stage");
    expect(body(flow)).toEqual([
      "The diagram has no numbered steps; its groups are taken in reading order:",
      "",
      `1. **Data Ingestion**: ${NAME.apiGateway}, ${NAME.lambda}, ${NAME.kinesis}`,
      `2. **Storage and Monitoring**: ${NAME.s3}, ${NAME.cloudwatch}`,
    ]);
  });

  it("numbers the components in reading order when there are neither steps nor groups", () => {
    const analysis = diagramAnalysis({
      nodes: [
        { id: "n1", label: "Amazon S3", box: box(900, 100), containerId: null, concept: CONCEPTS.s3 },
        { id: "n2", label: "API Gateway", box: box(100, 100), containerId: null, concept: CONCEPTS.apiGateway },
        { id: "n3", label: "Lambda Functions", box: box(100, 400), containerId: null, concept: CONCEPTS.lambda },
      ],
    });
    const sections = composeAnswer(analysis, "Explain this architecture");
    expect(body(section(sections, "## Flow"))).toEqual([
      `${NAME.apiGateway}: ${ROLE.apiGateway}`,
      `${NAME.s3}: ${ROLE.s3}`,
      `${NAME.lambda}: ${ROLE.lambda}`,
    ].map((line, index) => `${index + 1}. ${line}`));
    expect(section(sections, "## Overview")).toContain("This diagram shows 3 components. By kind:");
    expect(body(section(sections, "## Components"))).toEqual([
      "### Outside any group",
      "",
      `- ${NAME.apiGateway}: ${ROLE.apiGateway}`,
      `- ${NAME.s3}: ${ROLE.s3}`,
      `- ${NAME.lambda}: ${ROLE.lambda}`,
    ]);
  });

  it("lists the components under their group's title", () => {
    expect(body(section(sections, "## Components"))).toEqual([
      "### Data Ingestion",
      "",
      `- ${NAME.apiGateway}: ${ROLE.apiGateway}`,
      `- ${NAME.lambda}: ${ROLE.lambda}`,
      `- ${NAME.kinesis}: ${ROLE.kinesis}`,
      "",
      "### Storage and Monitoring",
      "",
      `- ${NAME.s3}: ${ROLE.s3}`,
      `- ${NAME.cloudwatch}: ${ROLE.cloudwatch}`,
    ]);
  });

  it("lists the arrows with their labels in the data flow", () => {
    expect(body(section(sections, "## Data flow"))).toEqual([
      `- ${NAME.apiGateway} → ${NAME.lambda}`,
      `- ${NAME.lambda} → ${NAME.kinesis} (events)`,
      `- ${NAME.kinesis} → ${NAME.s3} (batches)`,
    ]);
  });

  it("names a whole group where an arrow is drawn to its frame, in the data flow and the Mermaid chart", () => {
    const analysis = variant(({ layout }) => {
      layout.connections.push({ from: "c1", to: "c2" });
    });
    const answer = composeAnswer(analysis, "Explain this architecture");
    expect(body(section(answer, "## Data flow"))).toContain("- **Data Ingestion** → **Storage and Monitoring**");
    const chart = composeAnswer(analysis, "Redraw as a Mermaid diagram").join("\n");
    expect(chart).toMatch(/subgraph c1\[/);
    expect(chart).toContain("  c1 --> c2");
  });

  it("quotes the notes as other text, once each", () => {
    const analysis = variant(({ layout }) => {
      layout.notes.push({ ...layout.notes[0]!, box: box(60, 880, 400, 24) }, { text: "  ", confidence: 0.5, box: box(0, 0, 5, 5) });
    });
    expect(body(section(composeAnswer(analysis, "Explain this architecture"), "## Other text in the diagram"))).toEqual([
      "- All traffic over TLS",
    ]);
  });

  it("counts what it read in the summary and points to a model for reasoning", () => {
    const summary = section(sections, "## Summary");
    expect(summary).toContain("5 components read, 2 numbered steps; 5 recognised from the catalogue of cloud and data services.");
    expect(summary).toContain("configure a model provider");
  });

  it("leaves out the data flow and the other text when there are none", () => {
    const analysis = variant(({ layout }) => {
      layout.connections = [];
      layout.notes = [];
    });
    expect(composeAnswer(analysis, "Explain this architecture").slice(1).map(heading)).toEqual([
      "## Overview",
      "## Flow, step by step",
      "## Components",
      "## Summary",
    ]);
  });

  it("says which groups enclose which", () => {
    const cloud = { id: "c1", title: "AWS Cloud", box: box(40, 100, 1540, 760), parentId: null };
    const analysis = diagramAnalysis({
      containers: [cloud, { ...INGESTION, id: "c2", parentId: "c1" }, { ...STORAGE, id: "c3", parentId: "c1" }],
      nodes: [
        { id: "n1", label: "API Gateway", box: box(180, 260), containerId: "c2", concept: CONCEPTS.apiGateway },
        { id: "n2", label: "Lambda Functions", box: box(180, 460), containerId: "c2", concept: CONCEPTS.lambda },
        { id: "n3", label: "Amazon S3", box: box(1040, 260), containerId: "c3", concept: CONCEPTS.s3 },
      ],
    });
    expect(section(composeAnswer(analysis, "Explain this architecture"), "## Overview")).toContain(
      "This diagram shows 3 components in 2 groups: **Data Ingestion**, **Storage and Monitoring**. **AWS Cloud** encloses **Data Ingestion**, **Storage and Monitoring**.",
    );
  });
});

describe("composeAnswer: list", () => {
  it("answers with the overview and a table of every component: group, kind and role", () => {
    const sections = composeAnswer(clickstream(), "List every component and its role");
    expect(sections.slice(1).map(heading)).toEqual(["## Overview", "## Components"]);
    expect(body(sections[2]!)).toEqual([
      "| Component | Group | Kind | Role |",
      "| --- | --- | --- | --- |",
      `| API Gateway | Data Ingestion | serving | ${ROLE.apiGateway} |`,
      `| Lambda Functions | Data Ingestion | compute | ${ROLE.lambda} |`,
      `| Kinesis Streams | Data Ingestion | ingestion | ${ROLE.kinesis} |`,
      `| Amazon S3 | Storage and Monitoring | storage | ${ROLE.s3} |`,
      `| Amazon CloudWatch | Storage and Monitoring | monitoring | ${ROLE.cloudwatch} |`,
    ]);
  });

  it("marks a component outside the groups and not in the catalogue with dashes", () => {
    const analysis = withNodes([
      { id: "n1", label: "Mobile App", box: box(100, 300), containerId: null, concept: null },
      { id: "n2", label: "API Gateway", box: box(600, 300), containerId: "c1", concept: CONCEPTS.apiGateway },
      { id: "n3", label: "Amazon S3", box: box(1100, 300), containerId: "c2", concept: CONCEPTS.s3 },
    ]);
    const table = composeAnswer(analysis, "List every component and its role")[2]!;
    expect(table).toContain(
      "| Mobile App | — | — | Not in the offline catalogue; it sits outside the groups, next to API Gateway and Amazon S3. |",
    );
    expect(table.split("\n").filter((line) => line.startsWith("| ")).length).toBe(2 + 3);
  });
});

describe("composeAnswer: one component", () => {
  it("tells a named component's role, its group and what it receives from and sends to", () => {
    const sections = composeAnswer(clickstream(), "What does Kinesis Streams do?");
    expect(sections).toHaveLength(2);
    expect(sections[1]!.split("\n")).toEqual([
      "## Kinesis Streams",
      "",
      ROLE.kinesis,
      "",
      "It sits in **Data Ingestion**.",
      "",
      `It receives from: ${NAME.lambda}.`,
      "",
      `It sends to: ${NAME.s3}.`,
    ]);
  });

  it.each(["What does Kinesis Data Streams do?", "What does Amazon Kinesis Data Streams do?"])(
    "knows the component by its catalogue name, with or without the vendor: %j",
    (task) => {
      expect(composeAnswer(clickstream(), task)).toEqual(composeAnswer(clickstream(), "What does Kinesis Streams do?"));
    },
  );

  it("gives the step of a numbered component", () => {
    const [, story] = composeAnswer(clickstream(), "What does API Gateway do?");
    expect(story).toContain("It sits in **Data Ingestion**, at step 1 of the flow.");
    expect(story).toContain(`It sends to: ${NAME.lambda}.`);
    expect(story).not.toContain("It receives from");
  });

  it("knows a component by its catalogue name and ignores case and spacing", () => {
    expect(heading(composeAnswer(clickstream(), "what about aws lambda?")[1]!)).toBe("## Lambda Functions");
    expect(heading(composeAnswer(clickstream(), "Role of amazons3?")[1]!)).toBe("## Amazon S3");
  });

  it("tells each component a question names, in walk-through order", () => {
    const sections = composeAnswer(clickstream(), "What do Amazon S3 and API Gateway do?");
    expect(sections.slice(1).map(heading)).toEqual(["## API Gateway", "## Amazon S3"]);
  });

  it("falls back on the neighbours of a component no arrow touches", () => {
    const [, story] = composeAnswer(clickstream(), "What does Amazon CloudWatch do?");
    expect(story).toContain(`No arrows to or from it could be traced; its neighbours in the diagram are ${NAME.s3} and ${NAME.lambda}.`);
  });
});

describe("composeAnswer: follow-up questions", () => {
  const turn = (task: string) => ({ task, answer: "An answer the person read." });

  it("takes “it” to mean the component the previous question named", () => {
    const sections = composeAnswer(clickstream(), "What does it connect to?", [turn("What does Kinesis Streams do?")]);
    expect(sections).toEqual(composeAnswer(clickstream(), "What does Kinesis Streams do?"));
  });

  it("takes “them” to mean every component the previous question named", () => {
    const sections = composeAnswer(clickstream(), "Where do they send data?", [turn("What do Amazon S3 and API Gateway do?")]);
    expect(sections.slice(1).map(heading)).toEqual(["## API Gateway", "## Amazon S3"]);
  });

  it("goes back to the latest question that named a component, past those that named none", () => {
    const history = [turn("What does API Gateway do?"), turn("What does Lambda Functions do?"), turn("Explain this architecture")];
    expect(composeAnswer(clickstream(), "And what does it receive?", history).slice(1).map(heading)).toEqual(["## Lambda Functions"]);
  });

  it("answers about a component the follow-up names itself, whatever came before", () => {
    const sections = composeAnswer(clickstream(), "And what does Amazon S3 do with it?", [turn("What does Kinesis Streams do?")]);
    expect(sections.slice(1).map(heading)).toEqual(["## Amazon S3"]);
  });

  it.each(["Translate the labels to French", "Translate this to French", "What does this show?"])(
    "does not carry a component over to %j, which does not point back at it",
    (task) => {
      const history = [turn("What does Kinesis Streams do?")];
      expect(composeAnswer(clickstream(), task, history)).toEqual(composeAnswer(clickstream(), task));
    },
  );

  it.each(["Explain this architecture", "List every component and its role", "Is it a single point of failure?", "Redraw this as Mermaid"])(
    "keeps answering %j as it would without history: the task's own kind wins",
    (task) => {
      expect(composeAnswer(clickstream(), task, [turn("What does Kinesis Streams do?")])).toEqual(composeAnswer(clickstream(), task));
    },
  );
});

describe("composeAnswer: Mermaid", () => {
  it("redraws the groups as subgraphs and the arrows as edges, with their labels", () => {
    const sections = composeAnswer(clickstream(), "Redraw as a Mermaid diagram");
    expect(sections).toHaveLength(3);
    expect(sections[1]).toBe(
      [
        "## Mermaid",
        "",
        "```mermaid",
        "flowchart LR",
        '  subgraph c1["Data Ingestion"]',
        '    n1["API Gateway"]',
        '    n2["Lambda Functions"]',
        '    n3["Kinesis Streams"]',
        "  end",
        '  subgraph c2["Storage and Monitoring"]',
        '    n4["Amazon S3"]',
        '    n5["Amazon CloudWatch"]',
        "  end",
        "  n1 --> n2",
        "  n2 -->|events| n3",
        "  n3 -->|batches| n4",
        "```",
      ].join("\n"),
    );
    expect(sections[2]).toBe("The groups and 3 arrows above are as the analyzer traced them; check them against the image.");
  });

  it("keeps components outside the groups at the top level and quotes nothing that breaks the chart", () => {
    const analysis = withNodes(
      [
        { id: "n1", label: 'Users "web" [EU]', box: box(100, 300), containerId: null, concept: null },
        { id: "n2", label: "API Gateway", box: box(600, 300), containerId: "c1", concept: CONCEPTS.apiGateway },
        { id: "n3", label: "Amazon S3", box: box(1100, 300), containerId: "c2", concept: CONCEPTS.s3 },
      ],
      { connections: [{ from: "n1", to: "n2", label: "HTTPS | mTLS" }] },
    );
    const [, chart, note] = composeAnswer(analysis, "Draw this in mermaid");
    const lines = chart!.split("\n");
    expect(lines).toContain('  n1["Users  web   EU"]');
    expect(lines).toContain("  n1 -->|HTTPS   mTLS| n2");
    expect(lines.filter((line) => line.trim() === "end")).toHaveLength(2);
    expect(lines.at(-1)).toBe("```");
    expect(note).toBe("The groups and 1 arrow above are as the analyzer traced them; check them against the image.");
  });

  it("says when no arrows could be traced", () => {
    const analysis = variant(({ layout }) => {
      layout.connections = [];
    });
    const [, chart, note] = composeAnswer(analysis, "Redraw as a Mermaid diagram");
    expect(chart).not.toContain("-->");
    expect(note).toBe("No arrows could be traced, so the chart shows the groups and components only.");
  });
});

describe("composeAnswer: what it cannot do", () => {
  it("says honestly that judging needs a language model, then gives the reading", () => {
    const sections = composeAnswer(clickstream(), "Find single points of failure");
    expect(sections[1]).toBe(
      "Judging risks, security or improvements needs a language model, which offline mode does not have. Here is what the analyzer read, as a basis for your own review.",
    );
    expect(sections.slice(2)).toEqual(composeAnswer(clickstream(), "Explain this architecture").slice(1));
  });

  it("says what it can do when a task is neither, then gives the reading", () => {
    const sections = composeAnswer(clickstream(), "Translate the labels to French");
    expect(sections[1]).toContain("it cannot answer this task directly");
    expect(heading(sections[2]!)).toBe("## Overview");
  });

  it("answers a question about a picture with the text found and plain facts, nothing invented", () => {
    const sections = composeAnswer(photoAnalysis(["STOP", "Main St"]), "what colour is the car?");
    expect(sections).toEqual([
      OFFLINE_NOTICE,
      "This image does not look like a diagram, and offline mode cannot describe pictures, so it cannot answer “what colour is the car?”. It can report the text in the image and plain facts about it.",
      "## Text found\n\n- STOP\n- Main St",
      "## About the image\n\n- Size: 1200 × 800 px\n- Main colours: `#c83828` (41 %), `#283848` (22 %), `#a8b8c8` (0 %)",
    ]);
    const text = sections.join("\n");
    expect(text).not.toMatch(/\b(red|blue|grey|gray|green)\b/i);
    expect(text).not.toMatch(/## (Overview|Components|Flow)/);
  });

  it("says when a picture has no text", () => {
    expect(composeAnswer(photoAnalysis(), "Describe this photo")[2]).toBe("## Text found\n\nNo text could be read in this image.");
  });

  it("treats a reading marked as no diagram as a picture whatever the task", () => {
    const analysis = variant((reading) => {
      reading.isDiagram = false;
    });
    const sections = composeAnswer(analysis, "List every component and its role");
    expect(sections[1]).toContain("does not look like a diagram");
    expect(sections[2]).toContain("- API Gateway");
    expect(sections.join("\n")).not.toContain("| Component |");
  });
});

describe("composeAnswer: labels", () => {
  /** The clickstream diagram with an unknown component under Amazon CloudWatch. */
  const withFraudScorer = (containerId: string | null = "c2") =>
    variant((analysis) => {
      const node = { id: "n6", label: "Fraud Scorer", box: box(1040, 760), containerId };
      analysis.layout.nodes.push(node);
      analysis.components.push({ node, concept: null });
    });

  it("describes a component the catalogue does not know by its group and nearest neighbours", () => {
    const role = "Not in the offline catalogue; it sits in Storage and Monitoring, next to Amazon CloudWatch and Amazon S3.";
    const explain = composeAnswer(withFraudScorer(), "Explain this architecture");
    expect(section(explain, "## Components")).toContain(`- **Fraud Scorer**: ${role}`);
    expect(section(explain, "## Summary")).toContain(
      "6 components read, 2 numbered steps; 5 recognised from the catalogue of cloud and data services, 1 described by their place in the diagram.",
    );
    expect(composeAnswer(withFraudScorer(), "List every component and its role")[2]).toContain(
      `| Fraud Scorer | Storage and Monitoring | — | ${role} |`,
    );
    expect(composeAnswer(withFraudScorer(), "What does Fraud Scorer do?")[1]!.split("\n")).toEqual([
      "## Fraud Scorer",
      "",
      role,
      "",
      "It sits in **Storage and Monitoring**.",
      "",
      `No arrows to or from it could be traced; its neighbours in the diagram are ${NAME.cloudwatch} and ${NAME.s3}.`,
    ]);
  });

  it("says when an unknown component sits outside the groups", () => {
    const table = composeAnswer(withFraudScorer(null), "List every component and its role")[2]!;
    expect(table).toContain("| Fraud Scorer | — | — | Not in the offline catalogue; it sits outside the groups, next to Amazon CloudWatch and Amazon S3. |");
  });

  it("spells OCR-squashed labels as the catalogue does", () => {
    const analysis = withNodes(
      [
        { id: "n1", label: "APIGateway", box: box(180, 260), containerId: "c1", concept: CONCEPTS.apiGateway },
        { id: "n2", label: "AmazonS3", box: box(1040, 260), containerId: "c2", concept: CONCEPTS.s3 },
        { id: "n3", label: "CloudWatch", box: box(1040, 560), containerId: "c2", concept: CONCEPTS.cloudwatch },
      ],
      { connections: [{ from: "n1", to: "n2" }] },
    );
    const table = composeAnswer(analysis, "List every component and its role")[2]!;
    expect(table).toContain(`| API Gateway | Data Ingestion | serving |`);
    expect(table).toContain(`| Amazon S3 | Storage and Monitoring | storage |`);
    // A shorter label keeps its own words: the tail of the catalogue name it is.
    expect(table).toContain(`| CloudWatch | Storage and Monitoring | monitoring |`);
    const explain = composeAnswer(analysis, "Explain this architecture").join("\n");
    expect(explain).toContain("- **API Gateway** → **Amazon S3**");
    expect(explain).not.toMatch(/APIGateway|AmazonS3/);
    expect(heading(composeAnswer(analysis, "What does API Gateway do?")[1]!)).toBe("## API Gateway");
    expect(composeAnswer(analysis, "Mermaid please")[1]).toContain('n1["API Gateway"]');
  });

  it("spells OCR-squashed labels that matched a catalogue alias as the alias does", () => {
    const analysis = withNodes([
      { id: "n1", label: "LambdaFunctions", box: box(180, 260), containerId: "c1", concept: CONCEPTS.lambda },
      { id: "n2", label: "KinesisStreams", box: box(180, 460), containerId: "c1", concept: CONCEPTS.kinesis },
      { id: "n3", label: "Amazon S3", box: box(1040, 260), containerId: "c2", concept: CONCEPTS.s3 },
    ]);
    const table = composeAnswer(analysis, "List every component and its role")[2]!;
    expect(table).toContain("| Lambda Functions |");
    expect(table).toContain("| Kinesis Streams |");
  });

  it("escapes markdown in labels, titles, arrow labels, notes and the task", () => {
    const analysis = diagramAnalysis({
      title: "Pipeline [draft] #2",
      containers: [{ ...INGESTION, title: "Team_A <core>" }, STORAGE],
      nodes: [
        { id: "n1", label: "ingest*raw | v2", box: box(180, 260), containerId: "c1", concept: CONCEPTS.lambda },
        { id: "n2", label: "Amazon S3", box: box(1040, 260), containerId: "c2", concept: CONCEPTS.s3 },
        { id: "n3", label: "Amazon CloudWatch", box: box(1040, 560), containerId: "c2", concept: CONCEPTS.cloudwatch },
      ],
      connections: [{ from: "n1", to: "n2", label: "put_object `raw`" }],
      notes: ["See <docs> | *draft*"],
    });
    const explain = composeAnswer(analysis, "Explain this architecture").join("\n");
    expect(explain).toContain("*Pipeline \\[draft\\] \\#2* shows 3 components in 2 groups: **Team\\_A \\<core\\>**, **Storage and Monitoring**.");
    expect(explain).toContain("### Team\\_A \\<core\\>");
    expect(explain).toContain("- **ingest\\*raw \\| v2** (AWS Lambda) → **Amazon S3** (put\\_object \\`raw\\`)");
    expect(explain).toContain("- See \\<docs\\> \\| \\*draft\\*");
    const table = composeAnswer(analysis, "List every component and its role")[2]!;
    expect(table).toContain(`| ingest\\*raw \\| v2 | Team\\_A \\<core\\> | compute | ${ROLE.lambda} |`);
    for (const text of [explain, table]) {
      expect(text).not.toMatch(/ingest\*raw|Team_A|<core>|<docs>|\[draft\]|put_object/);
    }
    const story = composeAnswer(analysis, "What does ingest*raw | v2 do?")[1]!;
    expect(heading(story)).toBe("## ingest\\*raw \\| v2");
    expect(story).toContain("It sits in **Team\\_A \\<core\\>**.");
    expect(composeAnswer(photoAnalysis(["<b>SALE</b>"]), "what is *this*?").join("\n")).toContain("“what is \\*this\\*?”");
    expect(composeAnswer(photoAnalysis(["<b>SALE</b>"]), "x").join("\n")).toContain("- \\<b\\>SALE\\</b\\>");
  });

  it("escapes the group title and neighbour labels in an unknown component's role", () => {
    const analysis = diagramAnalysis({
      containers: [{ ...INGESTION, title: "Team_A <core>" }],
      nodes: [
        { id: "n1", label: "ingest*raw*", box: box(180, 260), containerId: "c1", concept: CONCEPTS.lambda },
        { id: "n2", label: "Fraud Scorer", box: box(180, 460), containerId: "c1", concept: null },
        { id: "n3", label: "Amazon S3", box: box(180, 660), containerId: "c1", concept: CONCEPTS.s3 },
      ],
    });
    const components = section(composeAnswer(analysis, "Explain this architecture"), "## Components");
    const story = composeAnswer(analysis, "What does Fraud Scorer do?")[1]!;
    for (const text of [components, story]) expect(text).not.toMatch(/ingest\*raw\*|Team_A|<core>/);
  });

  it("does not find a component's name inside another word", () => {
    const analysis = withNodes([
      { id: "n1", label: "API Gateway", box: box(180, 260), containerId: "c1", concept: CONCEPTS.apiGateway },
      { id: "n2", label: "RDS", box: box(1040, 260), containerId: "c2", concept: null },
      { id: "n3", label: "Amazon S3", box: box(1040, 560), containerId: "c2", concept: CONCEPTS.s3 },
    ]);
    const sections = composeAnswer(analysis, "What do the words in the boxes mean?");
    expect(sections.map(heading)).not.toContain("## RDS");
  });
});

describe("composeAnswer: steps", () => {
  it("does not deny a single numbered step it counts", () => {
    const analysis = variant(({ layout }) => {
      layout.steps = layout.steps.slice(1);
    });
    const sections = composeAnswer(analysis, "Explain this architecture");
    expect(section(sections, "## Summary")).toContain("5 components read, 1 numbered step;");
    expect(sections.join("\n")).not.toContain("has no numbered steps");
  });

  it("ignores a step marker tied to no component in the flow", () => {
    const analysis = variant(({ layout }) => {
      layout.steps.push({ number: 3, box: box(800, 100, 41, 41), nodeId: null });
    });
    const flow = section(composeAnswer(analysis, "Explain this architecture"), "## Flow, step by step");
    expect(body(flow)).toHaveLength(4);
    expect(flow).not.toMatch(/^3\./m);
  });
});

describe("composeAnswer: hostile tasks and histories", () => {
  const turn = (task: string) => ({ task, answer: "An answer the person read." });
  /** One-letter words, as many as a text of `chars` characters holds: the most runs of words. */
  const shortWords = (chars: number) => "a ".repeat(Math.ceil(chars / 2)).slice(0, chars);
  /** Components whose names are runs of one letter, so that every word of such a text extends a match. */
  const runsOfA = () =>
    withNodes(
      Array.from({ length: 30 }, (_, index) => ({
        id: `n${index + 1}`,
        label: "a ".repeat(index + 3).trim(),
        box: box(100 + (index % 6) * 250, 200 + Math.floor(index / 6) * 130, 200, 100),
        containerId: null,
        concept: null,
      })),
    );

  /** Every scan for names composeAnswer makes, with the work each took. */
  function scansDuring(compose: () => void): Array<{ chars: number; steps: number }> {
    const scan = vi.spyOn(WordRunNames.prototype, "scan");
    try {
      compose();
      return scan.mock.calls.map(([text, maxChars], index) => ({
        chars: Math.min(text.length, maxChars ?? Infinity),
        steps: (scan.mock.results[index]!.value as NameScan).steps,
      }));
    } finally {
      scan.mockRestore();
    }
  }
  /** A character, a failure step and, at each word end, a step per name that ends there (3 per component here). */
  const boundFor = (chars: number, names: number) => 2 * chars + (chars / 2 + 1) * names;

  it("answers the longest task of one-letter words as it answers a short one, in work linear in its length", () => {
    const task = shortWords(MAX_PROMPT_CHARS - 1);
    let sections: string[] = [];
    const scans = scansDuring(() => (sections = composeAnswer(clickstream(), task)));
    expect(sections).toEqual(composeAnswer(clickstream(), "a a a"));
    expect(scans).toHaveLength(1);
    expect(scans[0]!.steps).toBeLessThanOrEqual(boundFor(task.length, 15));
  });

  it("finds every component a task of one-letter words spells, in work linear in its length", () => {
    const task = shortWords(MAX_PROMPT_CHARS - 1);
    let sections: string[] = [];
    const scans = scansDuring(() => (sections = composeAnswer(runsOfA(), task)));
    expect(sections.slice(1).map(heading)).toHaveLength(30);
    expect(scans[0]!.steps).toBeLessThanOrEqual(boundFor(task.length, 30));
  });

  it("reads no more of a task than the form allows, whoever calls it", () => {
    const padding = shortWords(NAME_SCAN_CHARS);
    const scans = scansDuring(() => composeAnswer(clickstream(), `${padding} What does Kinesis Streams do?`.repeat(20)));
    expect(scans).toHaveLength(1);
    expect(scans[0]!.steps).toBeLessThanOrEqual(boundFor(NAME_SCAN_CHARS, 15));
    // A name within the limit is found; one past it is not.
    const within = `${shortWords(NAME_SCAN_CHARS - 40)} What does Kinesis Streams do?`;
    expect(within.length).toBeLessThanOrEqual(NAME_SCAN_CHARS);
    expect(composeAnswer(clickstream(), within)).toEqual(composeAnswer(clickstream(), "What does Kinesis Streams do?"));
    expect(composeAnswer(clickstream(), `${padding}  Kinesis Streams`)[1]).not.toMatch(/^## Kinesis Streams/);
  });

  it("looks back through the latest turns only, however many a follow-up carries", () => {
    const history = [turn("What does Kinesis Streams do?"), ...Array.from({ length: MAX_HISTORY_TURNS - 1 }, () => turn(shortWords(MAX_HISTORY_CHARS / MAX_HISTORY_TURNS - 40)))];
    const scans = scansDuring(() => composeAnswer(clickstream(), "What does it connect to?", history));
    expect(scans).toHaveLength(1 + LOOK_BACK_TURNS);
    const total = scans.reduce((sum, { steps }) => sum + steps, 0);
    expect(total).toBeLessThanOrEqual(scans.reduce((sum, { chars }) => sum + boundFor(chars, 15), 0));
    // The component was named before the turns looked at: "it" means nothing named.
    expect(composeAnswer(clickstream(), "What does it connect to?", history)[1]).not.toMatch(/^## Kinesis Streams/);
    const recent = [...history.slice(0, -LOOK_BACK_TURNS), turn("What does Kinesis Streams do?"), ...history.slice(1 - LOOK_BACK_TURNS)];
    expect(recent).toHaveLength(MAX_HISTORY_TURNS);
    expect(composeAnswer(clickstream(), "What does it connect to?", recent)).toEqual(composeAnswer(clickstream(), "What does Kinesis Streams do?"));
  });

  it("reads each earlier task only as far as a task is read", () => {
    const history = Array.from({ length: LOOK_BACK_TURNS }, () => turn(shortWords(MAX_HISTORY_CHARS)));
    const scans = scansDuring(() => composeAnswer(runsOfA(), "What does it connect to?", history));
    for (const { chars, steps } of scans) {
      expect(chars).toBeLessThanOrEqual(NAME_SCAN_CHARS);
      expect(steps).toBeLessThanOrEqual(boundFor(NAME_SCAN_CHARS, 30));
    }
  });
});

describe("composeAnswer: a diagram with more components than an answer describes", () => {
  const COUNT = 5_000;
  /** Thousands of boxes in rows, in reading order, each linked to the next, beside a chain of a thousand nested groups. */
  function crowded(): ImageAnalysis {
    const containers = Array.from({ length: 1_000 }, (_, index) => ({
      id: `c${index + 1}`,
      title: `Group ${index + 1}`,
      box: box(index, index, 20_000 - 2 * index, 20_000 - 2 * index),
      parentId: index === 0 ? null : `c${index}`,
    }));
    return diagramAnalysis({
      title: "Crowded",
      containers,
      nodes: Array.from({ length: COUNT }, (_, index) => ({
        id: `n${index + 1}`,
        label: `Service ${index + 1}`,
        box: box(100 + (index % 70) * 250, 100 + Math.floor(index / 70) * 150, 200, 100),
        containerId: null,
        concept: index % 10 === 0 ? CONCEPTS.s3 : null,
      })),
      connections: Array.from({ length: COUNT - 1 }, (_, index) => ({ from: `n${index + 1}`, to: `n${index + 2}` })),
    });
  }
  const namingMany = Array.from({ length: 2_000 }, (_, index) => `Service ${index + 1}`).join(" ").slice(0, MAX_PROMPT_CHARS);

  it.each([
    ["explain", "Explain this architecture"],
    ["list", "List every component and its role"],
    ["mermaid", "Redraw as a Mermaid diagram"],
    ["a task naming two thousand components", namingMany],
  ])("describes the first components only, and places each among its neighbours once: %s", (_, task) => {
      const analysis = crowded();
      const distances = vi.spyOn(Math, "hypot");
      let sections: string[];
      try {
        sections = composeAnswer(analysis, task);
        // Each described component is measured against the others described, once.
        expect(distances.mock.calls.length).toBeLessThanOrEqual(MAX_DESCRIBED_COMPONENTS ** 2);
      } finally {
        distances.mockRestore();
      }
      const text = sections.join("\n");
      expect(text).toMatch(/Service 200\b/);
      expect(text).not.toMatch(/Service (20[1-9]|2[1-9]\d|[3-9]\d\d|\d{4})\b/);
  });

  it("says how many components the diagram has and how many the answer describes", () => {
    const sections = composeAnswer(crowded(), "Explain this architecture");
    expect(section(sections, "## Overview")).toContain(`shows ${COUNT.toString()} components`);
    expect(section(sections, "## Overview")).toContain(`This answer describes the first ${MAX_DESCRIBED_COMPONENTS} in reading order.`);
    expect(section(sections, "## Summary")).toContain(`${COUNT} components read; ${COUNT / 10} recognised`);
    expect(body(section(sections, "## Data flow"))).toHaveLength(MAX_DESCRIBED_COMPONENTS - 1);
  });

  it("says nothing of the limit when every component is described", () => {
    expect(composeAnswer(clickstream(), "Explain this architecture").join("\n")).not.toContain("This answer describes the first");
  });
});

describe("composeAnswer: hostile text to quote", () => {
  /** Characters markdown escaping and Mermaid quoting act on, and the spaces and words around them. */
  const specials = (chars: number) => "\\`*_[]<>|#\"  a ".repeat(Math.ceil(chars / 16)).slice(0, chars);

  // Timed, as escaping has no work to count from outside; every step is one pass over the text,
  // and the bound only has to catch work that grows with the square of the length, on a loaded machine.
  it("quotes a task of the longest length allowed and many long lines of OCR text in bounded time", () => {
    const lines = Array.from({ length: 2_000 }, () => specials(400));
    const started = performance.now();
    const picture = composeAnswer(photoAnalysis(lines), specials(MAX_PROMPT_CHARS));
    const diagram = variant((analysis) => {
      analysis.layout.notes = lines.map((line, index) => ({ ...analysis.layout.notes[0]!, text: `${index} ${line}` }));
      analysis.layout.connections = analysis.layout.connections.map((link) => ({ ...link, label: specials(2_000) }));
    });
    const sections = [...composeAnswer(diagram, "Explain this architecture"), ...composeAnswer(diagram, "Redraw as a Mermaid diagram")];
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(picture[2]!.split("\n")).toHaveLength(2 + lines.length);
    expect(section(sections, "## Other text in the diagram").split("\n")).toHaveLength(2 + lines.length);
    // An edge's label keeps to its own two bars, whatever it read.
    for (const line of section(sections, "## Mermaid").split("\n")) expect(line.split("|").length).toBeLessThanOrEqual(3);
  });
});

describe("composeAnswer: legend", () => {
  it("lists the diagram's key in its own section, apart from the components", () => {
    const analysis = clickstream();
    analysis.layout.legend = [
      { text: "Legend:", confidence: 0.9, box: { x: 60, y: 860, width: 80, height: 20 } },
      { text: "Data Engineer", confidence: 0.9, box: { x: 150, y: 860, width: 120, height: 20 } },
    ];
    const answer = composeAnswer(analysis, "Explain this architecture").join("\n\n");
    const legend = answer.slice(answer.indexOf("## Legend"));
    expect(legend).toContain("- Data Engineer");
    const components = answer.slice(answer.indexOf("## Components"), answer.indexOf("## Legend"));
    expect(components).not.toContain("Data Engineer");
  });
});

describe("composeAnswer: a step on a group", () => {
  it("names the group in the step-by-step flow", () => {
    const analysis = clickstream();
    analysis.layout.steps.push({ number: 3, box: box(60, 140, 41, 41), nodeId: null, containerId: "c2" });
    const answer = composeAnswer(analysis, "Explain this architecture").join("\n\n");
    expect(answer).toContain("3. **Storage and Monitoring**: the group as a whole.");
  });
});
