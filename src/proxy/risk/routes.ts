// GET /api/accounts/:id/risk and GET /api/risk: price-move estimates and the level's trend (src/contract/risk.ts).
import type { FastifyInstance } from 'fastify';
import type { RiskOverviewDto, RiskReportDto } from '../../contract/risk.ts';
import { sendError } from '../shared.ts';
import type { RiskService } from './service.ts';

export function registerRiskRoutes(app: FastifyInstance, risk: RiskService): void {
  app.get<{ Params: { id: string } }>('/api/accounts/:id/risk', async (request, reply) => {
    const report: RiskReportDto | undefined = await risk.report(request.params.id);
    if (!report) return sendError(reply, 404, `no account ${request.params.id}`);
    return reply.header('cache-control', 'no-store').send(report);
  });
  app.get('/api/risk', async (_request, reply) => {
    const body: RiskOverviewDto = { accounts: await risk.reports() };
    return reply.header('cache-control', 'no-store').send(body);
  });
}
