"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type RefObject } from "react";
import { AnalyzeForm } from "@/components/analyze-form";
import { AppHeader } from "@/components/app-header";
import { OpenServerNotice } from "@/components/account/open-server-notice";
import type { Viewer } from "@/lib/shared/auth";
import { ConversationView } from "@/components/conversation-view";
import { HistoryDrawer } from "@/components/history/history-drawer";
import { HistoryPanel, type HistoryPanelActions } from "@/components/history/history-panel";
import { useConversation, type ConversationControls } from "@/components/hooks/use-conversation";
import { useConversationRoute } from "@/components/hooks/use-conversation-route";
import { useHistoryList, type HistoryList } from "@/components/hooks/use-history-list";
import { useLatestTurnInView } from "@/components/hooks/use-latest-turn-in-view";
import { useProviderChoice, type ProviderChoice } from "@/components/hooks/use-provider-choice";
import { OpeningState } from "@/components/opening-state";
import { StoredImagePanel } from "@/components/stored-image-panel";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface AnalyzerAppProps {
  maxUploadBytes: number;
  /** Who is signed in (the local owner when AUTH_MODE=none). */
  viewer: Viewer;
  /** AUTH_MODE=none on a server others can reach: the page says so. */
  openToNetwork: boolean;
  /** The providers this server offers, its default first. */
  providers: ProviderSummary[];
}

/**
 * The page: the history beside (or in a drawer), the image, the task and the selects on one side,
 * the conversation about it on the other. It lives in the layout, so it stays as the address
 * moves between `/` and `/c/<id>`.
 */
export function AnalyzerApp({ maxUploadBytes, providers, viewer, openToNetwork }: AnalyzerAppProps) {
  const conversation = useConversation();
  const choice = useProviderChoice(providers);
  const history = useHistoryList();
  const router = useRouter();
  const followUpInput = useRef<HTMLTextAreaElement>(null);
  const historyButton = useRef<HTMLButtonElement>(null);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const sidebarHeadingId = useId();
  const { turns, saved } = conversation.conversation;
  useLatestTurnInView(turns.at(-1), followUpInput);
  const { arriving } = useConversationRoute(conversation);
  useHistoryFollows(history, saved?.id ?? null, conversation.busy);

  const startNew = () => {
    conversation.reset();
    router.push("/");
  };
  const historyActions: HistoryPanelActions = {
    currentId: saved?.id ?? null,
    onNewConversation: startNew,
    onRenamed: (summary) => conversation.noteSavedChange(summary.id, { title: summary.title }),
    onDeleted: (conversationId) => {
      if (conversationId === saved?.id) startNew();
    },
    onDeletedAll: () => {
      if (saved) startNew();
    },
  };
  const onSharedChange = (conversationId: string, shared: boolean) => {
    conversation.noteSavedChange(conversationId, { shared });
    history.refresh();
  };

  return (
    <div className="xl:grid xl:grid-cols-[18rem_minmax(0,1fr)]">
      {/* The column's colour runs the page's whole length; the list inside stays in view as it scrolls. */}
      <aside aria-labelledby={sidebarHeadingId} className="hidden border-r border-border bg-sidebar xl:block">
        <div className="sticky top-0 h-dvh overflow-y-auto">
          <HistoryPanel list={history} headingId={sidebarHeadingId} {...historyActions} />
        </div>
      </aside>
      <main className="mx-auto flex w-full max-w-7xl min-w-0 flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
        {openToNetwork && <OpenServerNotice />}
        <AppHeader providerLabel={choice.chosenProvider?.label} onOpenHistory={() => setDrawerOpen(true)} historyButtonRef={historyButton} viewer={viewer} />
        <Workspace
          conversation={conversation}
          arriving={arriving}
          choice={choice}
          providers={providers}
          viewer={viewer}
          maxUploadBytes={maxUploadBytes}
          followUpInput={followUpInput}
          onNewConversation={startNew}
          onSharedChange={onSharedChange}
        />
      </main>
      {drawerOpen && (
        <HistoryDrawer
          list={history}
          {...historyActions}
          onClose={() => {
            setDrawerOpen(false);
            historyButton.current?.focus();
          }}
        />
      )}
    </div>
  );
}

interface WorkspaceProps {
  conversation: ConversationControls;
  /** A saved conversation the address names, not asked for yet. */
  arriving: string | null;
  choice: ProviderChoice;
  providers: ProviderSummary[];
  viewer: Viewer;
  maxUploadBytes: number;
  followUpInput: RefObject<HTMLTextAreaElement | null>;
  onNewConversation(): void;
  onSharedChange(conversationId: string, shared: boolean): void;
}

/** The image (picked, or the saved one) and the conversation; or a saved one on its way, or missing. */
function Workspace({ conversation, arriving, choice, providers, viewer, maxUploadBytes, followUpInput, onNewConversation, onSharedChange }: WorkspaceProps) {
  const { saved, image, session, turns } = conversation.conversation;
  const opening = conversation.conversation.opening ?? (arriving ? ({ id: arriving, state: "loading" } as const) : null);
  if (opening) {
    return <OpeningState opening={opening} onTryAgain={() => conversation.open(opening.id)} onNewConversation={conversation.reset} />;
  }
  const begin = (picked: File, task: string) => conversation.begin(picked, task, choice.askOptions());
  return (
    <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)] xl:grid-cols-[minmax(0,22rem)_minmax(0,1fr)] 2xl:grid-cols-[minmax(0,26rem)_minmax(0,1fr)]">
      {saved && !image ? (
        <StoredImagePanel saved={saved} onNewConversation={onNewConversation} />
      ) : (
        // A new session (a new conversation, another one opened) starts with an empty form.
        <AnalyzeForm
          key={session}
          maxUploadBytes={maxUploadBytes}
          providers={providers}
          choice={choice}
          busy={conversation.busy}
          hasConversation={turns.length > 0}
          onBegin={begin}
        />
      )}
      <ConversationView conversation={conversation} providers={providers} viewer={viewer} askOptions={choice.askOptions} followUpInput={followUpInput} onSharedChange={onSharedChange} />
    </div>
  );
}

/**
 * The history list follows the page: a conversation just saved appears in it, and one whose
 * answer has just ended moves to the top.
 */
function useHistoryFollows(history: HistoryList, savedId: string | null, busy: boolean) {
  const { refresh } = history;
  // Saved mid-answer: listed at once, and again when the answer ends.
  useEffect(() => {
    if (savedId !== null) refresh();
  }, [savedId, busy, refresh]);
}
