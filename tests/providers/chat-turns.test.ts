import { describe, expect, it } from "vitest";
import { chatTurns } from "@/lib/providers/chat-turns";

describe("chatTurns", () => {
  it("is the question alone, with the image, for a first question", () => {
    expect(chatTurns({ prompt: "Explain", history: [] })).toEqual([{ role: "user", text: "Explain", withImage: true }]);
  });

  it("puts each earlier question before its answer and the new question last, the image with the first only", () => {
    const history = [
      { task: "Explain", answer: "An API." },
      { task: "And the queue?", answer: "It buffers." },
    ];
    expect(chatTurns({ prompt: "What if it fails?", history })).toEqual([
      { role: "user", text: "Explain", withImage: true },
      { role: "model", text: "An API." },
      { role: "user", text: "And the queue?", withImage: false },
      { role: "model", text: "It buffers." },
      { role: "user", text: "What if it fails?", withImage: false },
    ]);
  });
});
