// Map colours by status and kind, shared by the map styles, the legend and the charts.
export const DEPOSIT_STATUS_COLORS: Record<string, string> = {
  ACTIVE: '#1b5e20',
  DEVELOPMENT: '#1565c0',
  EXPLORATION: '#ef6c00',
  CLOSED: '#757575',
};
export const PERMIT_STATUS_COLORS: Record<string, string> = {
  ACTIVE: '#2e7d32',
  PENDING: '#f9a825',
  EXPIRED: '#9e9e9e',
  TERMINATED: '#c62828',
};
export const INFRA_KIND_COLORS: Record<string, string> = {
  ROAD: '#8d6e63',
  RAILWAY: '#263238',
  PIPELINE: '#6a1b9a',
  POWER_LINE: '#f57c00',
  PORT: '#0277bd',
  OTHER: '#546e7a',
};
