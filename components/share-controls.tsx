"use client";

import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { HistoryRequestError, shareConversation, stopSharing } from "@/lib/client/history-api";

export type ShareState =
  | { kind: "idle" }
  | { kind: "working" }
  | { kind: "copied" }
  /** The browser refused the clipboard (plain http, a denied permission): the link is shown to copy by hand. */
  | { kind: "shown"; url: string }
  | { kind: "stopped" }
  | { kind: "failed"; message: string };

export interface ShareLinkControls {
  state: ShareState;
  share(): void;
  stop(): void;
}

const describe = (error: unknown) => (error instanceof HistoryRequestError ? error.message : "That did not work. Please try again.");

/** Share makes a read-only link and copies it; Stop sharing makes every link to the conversation stop working. */
export function useShareLink(conversationId: string, onSharedChange: (shared: boolean) => void): ShareLinkControls {
  const [state, setState] = useState<ShareState>({ kind: "idle" });
  const share = async () => {
    setState({ kind: "working" });
    try {
      const { url } = await shareConversation(conversationId);
      onSharedChange(true);
      try {
        await navigator.clipboard.writeText(url);
        setState({ kind: "copied" });
      } catch {
        setState({ kind: "shown", url });
      }
    } catch (error) {
      setState({ kind: "failed", message: describe(error) });
    }
  };
  const stop = async () => {
    setState({ kind: "working" });
    try {
      await stopSharing(conversationId);
      onSharedChange(false);
      setState({ kind: "stopped" });
    } catch (error) {
      setState({ kind: "failed", message: describe(error) });
    }
  };
  return { state, share: () => void share(), stop: () => void stop() };
}

export function ShareButtons({ controls, shared }: { controls: ShareLinkControls; shared: boolean }) {
  const working = controls.state.kind === "working";
  return (
    <>
      <Button onClick={controls.share} disabled={working}>
        Share
      </Button>
      {shared && (
        <Button onClick={controls.stop} disabled={working}>
          Stop sharing
        </Button>
      )}
    </>
  );
}

/** What sharing did: always on the page, so that what it says is announced when it changes. */
export function ShareMessages({ state }: { state: ShareState }) {
  return (
    <>
      <p role="status" className="mt-2 text-sm text-muted-foreground empty:mt-0" data-testid="share-status">
        {state.kind === "copied" && "Link copied: anyone with it can read this conversation."}
        {state.kind === "shown" && "Copy this link: anyone with it can read this conversation."}
        {state.kind === "stopped" && "Sharing stopped: links to this conversation no longer work."}
      </p>
      {state.kind === "shown" && <ShownLink url={state.url} />}
      {state.kind === "failed" && (
        <div className="mt-2">
          <Alert>{state.message}</Alert>
        </div>
      )}
    </>
  );
}

/** The link, selected, for Ctrl/Cmd+C when the page may not write to the clipboard. */
function ShownLink({ url }: { url: string }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [url]);
  return (
    <input
      ref={input}
      readOnly
      value={url}
      aria-label="Share link"
      onFocus={(event) => event.currentTarget.select()}
      className="mt-2 w-full rounded-md border border-input bg-background px-2 py-1 font-mono text-sm focus-visible:outline-2 focus-visible:outline-ring"
    />
  );
}
