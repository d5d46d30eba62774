import { AccountSection } from "@/components/account/account-section";
import { formatCount, formatDay, providerName } from "@/components/account/account-format";
import type { ProviderUsage, UsageReport } from "@/lib/shared/account-contract";

/** The person's own usage: per provider over the report's days, and today's tokens against the budget. */
export function UsageSummary({ usage }: { usage: UsageReport }) {
  return (
    <AccountSection
      id="account-usage"
      title="Your usage"
      description={`The last ${usage.days} days, since ${formatDay(usage.since)} (UTC). The offline analyzer uses no model tokens.`}
    >
      <TodayTokens today={usage.today} />
      {usage.byProvider.length === 0 ? (
        <p className="text-sm text-muted-foreground">No analyses in the last {usage.days} days.</p>
      ) : (
        <UsageTable rows={usage.byProvider} days={usage.days} />
      )}
    </AccountSection>
  );
}

function TodayTokens({ today }: { today: UsageReport["today"] }) {
  const { totalTokens, tokensPerDay } = today;
  if (tokensPerDay === null) {
    return (
      <p className="text-sm" data-testid="usage-today">
        Today (UTC): <span className="font-medium">{formatCount(totalTokens)} tokens</span>. This server sets no daily token budget.
      </p>
    );
  }
  const share = Math.min(1, totalTokens / tokensPerDay);
  return (
    <div className="flex flex-col gap-2">
      <p className="text-sm" data-testid="usage-today">
        Today (UTC): <span className="font-medium">{formatCount(totalTokens)}</span> of your <span className="font-medium">{formatCount(tokensPerDay)}</span> tokens a day.
        The budget renews at 00:00 UTC.
      </p>
      {/* The sentence above says the same for screen readers. */}
      <div aria-hidden="true" className="h-2 overflow-hidden rounded-full bg-muted">
        <div className={share >= 1 ? "h-full bg-danger" : "h-full bg-primary"} style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}

// Columns are kept apart by their left padding alone: the first and last line up with the card's text.
const NUMBER_CELL = "py-2 pl-2 text-right tabular-nums sm:pl-6";

function UsageTable({ rows, days }: { rows: ProviderUsage[]; days: number }) {
  const total = rows.reduce(
    (sum, row) => ({
      provider: "All providers",
      analyses: sum.analyses + row.analyses,
      inputTokens: sum.inputTokens + row.inputTokens,
      outputTokens: sum.outputTokens + row.outputTokens,
      totalTokens: sum.totalTokens + row.totalTokens,
    }),
    { provider: "All providers", analyses: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  );
  return (
    // Headers wrap to fit a phone; numbers too large even then scroll sideways rather than
    // squeeze, in a region the keyboard can reach and scroll.
    <div role="region" aria-labelledby="usage-table-caption" tabIndex={0} className="overflow-x-auto rounded-sm focus-visible:outline-2 focus-visible:outline-ring">
      <table className="w-full border-collapse text-sm">
        <caption id="usage-table-caption" className="sr-only">
          Your usage per provider, last {days} days
        </caption>
        <thead>
          <tr className="border-b border-border text-muted-foreground">
            <th scope="col" className="py-2 text-left font-medium">
              Provider
            </th>
            {["Analyses", "Input tokens", "Output tokens", "Total tokens"].map((column) => (
              <th key={column} scope="col" className={`${NUMBER_CELL} font-medium`}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <UsageRow key={row.provider} row={row} name={providerName(row.provider)} />
          ))}
        </tbody>
        {rows.length > 1 && (
          <tfoot className="font-medium">
            <UsageRow row={total} name={total.provider} />
          </tfoot>
        )}
      </table>
    </div>
  );
}

function UsageRow({ row, name }: { row: ProviderUsage; name: string }) {
  return (
    <tr className="border-b border-border last:border-b-0">
      <th scope="row" className="py-2 text-left font-medium">
        {name}
      </th>
      <td className={NUMBER_CELL}>{formatCount(row.analyses)}</td>
      <td className={NUMBER_CELL}>{formatCount(row.inputTokens)}</td>
      <td className={NUMBER_CELL}>{formatCount(row.outputTokens)}</td>
      <td className={NUMBER_CELL}>{formatCount(row.totalTokens)}</td>
    </tr>
  );
}
