/** The page's title, and which model answers the next question. */
export function AppHeader({ providerLabel }: { providerLabel: string | undefined }) {
  return (
    <header className="flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Multimodal Reasoning Agent</h1>
        <p className="mt-1 text-muted-foreground">Upload an architecture diagram, ask about it, and read the answer as it is written.</p>
      </div>
      {providerLabel && (
        <p className="rounded-full border border-border bg-card px-3 py-1 text-sm text-muted-foreground">
          Answers by <span className="font-medium text-foreground">{providerLabel}</span>
        </p>
      )}
    </header>
  );
}
