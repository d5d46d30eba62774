import Link from "next/link";
import { AnswerFooter } from "@/components/answer-footer";
import { AnswerNotes } from "@/components/answer-notes";
import { MarkdownAnswer } from "@/components/markdown-answer";
import { ReasoningPanel } from "@/components/reasoning-panel";
import { storedAnswer } from "@/lib/client/answer-state";
import { formatBytes } from "@/lib/shared/format";
import type { SharedConversation, StoredImage } from "@/lib/shared/history-contract";

/** Rendered on the server, whose time zone is not the reader's: said in UTC. */
const WHEN = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export interface SharedConversationViewProps {
  conversation: SharedConversation;
  /** The shared image's own address, under the link. */
  imageUrl: string;
}

/**
 * A shared conversation as the link's reader sees it: the title, the image, every question and its
 * answer with the page's own renderer and notes, the reasoning folded. Read-only: nothing to ask,
 * retry or change. Rendered on the server; the answers' markdown and the reasoning's fold come alive
 * in the browser.
 */
export function SharedConversationView({ conversation, imageUrl }: SharedConversationViewProps) {
  const { title, image, turns, updatedAt } = conversation;
  return (
    <main className="mx-auto flex max-w-4xl flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <header className="flex flex-col gap-1">
        <p className="text-sm text-muted-foreground">Shared conversation · read-only</p>
        <h1 className="text-2xl font-semibold tracking-tight break-words sm:text-3xl">{title}</h1>
        <p className="text-sm text-muted-foreground">
          Last answered <time dateTime={updatedAt}>{WHEN.format(new Date(updatedAt))} UTC</time> ·{" "}
          {turns.length === 1 ? "1 question" : `${turns.length} questions`}
        </p>
      </header>
      <SharedImage image={image} imageUrl={imageUrl} title={title} />
      <section aria-label="Conversation" className="flex flex-col gap-4">
        {turns.map((turn, index) => (
          <SharedTurn key={`${index}-${turn.createdAt}`} turn={turn} position={index + 1} image={image} />
        ))}
      </section>
      <footer className="border-t border-border pt-4 text-sm text-muted-foreground">
        Answers written by a model about the diagram above; they may contain mistakes. Made with{" "}
        <Link href="/" className="text-primary underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-ring">
          Multimodal Reasoning Agent
        </Link>
        .
      </footer>
    </main>
  );
}

function SharedImage({ image, imageUrl, title }: { image: StoredImage | null; imageUrl: string; title: string }) {
  if (!image) {
    return <p className="rounded-lg border border-border bg-card p-4 text-sm text-muted-foreground">The image was deleted by the server&apos;s retention policy.</p>;
  }
  return (
    <figure className="flex flex-col gap-2 rounded-lg border border-border bg-card p-4 shadow-sm">
      {/* The full picture opens in its own tab, where the browser zooms it. */}
      <a href={imageUrl} target="_blank" rel="noreferrer" className="block rounded-md focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring">
        {
          // Served by this server, already prepared: nothing for next/image to optimise.
          // eslint-disable-next-line @next/next/no-img-element
          <img src={imageUrl} alt={`The diagram of “${title}”`} width={image.width} height={image.height} className="h-auto max-h-[32rem] w-full rounded-md bg-white object-contain" />
        }
      </a>
      <figcaption className="text-sm text-muted-foreground">
        {image.width} × {image.height} px · {formatBytes(image.bytes)} · select the image to open it full size
      </figcaption>
    </figure>
  );
}

function SharedTurn({ turn, position, image }: { turn: SharedConversation["turns"][number]; position: number; image: StoredImage | null }) {
  const answer = storedAnswer(turn, image);
  return (
    <article aria-labelledby={`question-${position}`} data-testid="turn" data-phase={answer.phase} className="flex flex-col gap-3 rounded-lg border border-border bg-card p-5 shadow-sm sm:p-6">
      <h2 id={`question-${position}`} className="self-end rounded-lg bg-muted px-3 py-2 text-sm font-medium whitespace-pre-wrap">
        <span className="sr-only">Question {position}: </span>
        {turn.task}
      </h2>
      {answer.thoughts && <ReasoningPanel thoughts={answer.thoughts} thinking={false} answering />}
      {answer.markdown && (
        <div data-testid="answer-text">
          <MarkdownAnswer markdown={answer.markdown} streaming={false} />
        </div>
      )}
      <AnswerNotes answer={answer} />
      <AnswerFooter answer={answer} />
    </article>
  );
}
