import { formatCount, providerName } from "@/components/admin/admin-format";
import { AdminTable, Cell, ColumnHeader, RowHeader } from "@/components/admin/admin-table";
import type { ProviderUsage } from "@/lib/shared/admin-contract";

/** Analyses and tokens per provider over the window, as the providers reported them. */
export function UsageTable({ byProvider }: { byProvider: ProviderUsage[] }) {
  return (
    <AdminTable
      caption="Usage per provider in the last 30 days"
      rowCount={byProvider.length}
      empty="No analyses in the last 30 days."
      head={
        <>
          <ColumnHeader>Provider</ColumnHeader>
          <ColumnHeader numeric>Analyses</ColumnHeader>
          <ColumnHeader numeric>Input tokens</ColumnHeader>
          <ColumnHeader numeric>Output tokens</ColumnHeader>
          <ColumnHeader numeric>Total tokens</ColumnHeader>
        </>
      }
    >
      {byProvider.map((row) => (
        <tr key={row.provider} data-testid="usage-row">
          <RowHeader>{providerName(row.provider)}</RowHeader>
          <Cell numeric>{formatCount(row.analyses)}</Cell>
          <Cell numeric>{formatCount(row.inputTokens)}</Cell>
          <Cell numeric>{formatCount(row.outputTokens)}</Cell>
          <Cell numeric>{formatCount(row.totalTokens)}</Cell>
        </tr>
      ))}
    </AdminTable>
  );
}
