// GET /admin/audit-logs/export.csv: every entry matching the current filters, saved as a CSV file.
import { useMutation } from '@tanstack/react-query'
import { api } from '@/api/client'
import { errorFromResponse } from '@/lib/api-error'
import { dispositionFilename, saveBlob } from '@/lib/save-blob'
import type { AuditQuery } from './audit-logs'

export type AuditExportQuery = Omit<AuditQuery, 'offset' | 'limit'>

export async function exportAuditLogs(query: AuditExportQuery): Promise<{ blob: Blob; filename: string }> {
  const { data, error, response } = await api.GET('/api/v1/admin/audit-logs/export.csv', {
    params: { query },
    parseAs: 'blob',
  })
  if (error !== undefined || !response.ok || !data) throw errorFromResponse(response.status, error)
  return { blob: data as Blob, filename: dispositionFilename(response.headers.get('Content-Disposition'), 'audit-log.csv') }
}

export function useExportAuditLogs() {
  return useMutation({
    mutationFn: async (query: AuditExportQuery) => {
      const { blob, filename } = await exportAuditLogs(query)
      saveBlob(blob, filename)
      return filename
    },
  })
}
