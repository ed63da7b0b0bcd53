import type { PolicyHistory, PolicyVersionSummary, Store } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { DiffView, diffCounts } from '../views/diff-view.tsx';
import { page } from '../views/layout.tsx';
import { Time } from '../views/parts.tsx';

const PAGE_SIZE = 20;
const ORIGIN: Record<PolicyVersionSummary['origin'], string> = {
  start: 'the file at start',
  reload: 'a reload of the file',
  dashboard: 'a dashboard edit',
};

/** Who put a version in force, in words: a user's name for a dashboard edit. */
async function byWhom(store: Store, v: PolicyVersionSummary): Promise<string> {
  if (v.actor.type !== 'user') return ORIGIN[v.origin];
  const name = (await store.getUser(v.actor.id))?.name ?? v.actor.id;
  return `${ORIGIN[v.origin]} by ${name}`;
}

const InForce = () => (
  <span class="badge badge-active" title="The policy the server decides with">
    in force
  </span>
);

const VersionLink = ({ version }: { version: string }) => (
  <a class="mono" href={`/policies/versions/${version}`}>
    {version}
  </a>
);

async function VersionItem({
  deps,
  history,
  version,
}: {
  deps: DashboardDeps;
  history: PolicyHistory;
  version: PolicyVersionSummary;
}) {
  const diff = await history.diff(version.version);
  const { added, removed } = diffCounts(diff.hunks);
  const base = diff.from ? `from ${diff.from.version}` : 'first version recorded';
  return (
    <li class="policy-version" data-version={version.version}>
      <div class="policy-version-head">
        <VersionLink version={version.version} />
        {version.version === deps.policy.current().version ? <InForce /> : null}
        <span class="small">
          <Time ms={version.firstInForceAt} />
        </span>
        <span class="small">{await byWhom(deps.store, version)}</span>
        <span class="small muted">
          {version.rules} rule{version.rules === 1 ? '' : 's'}
        </span>
      </div>
      <details>
        <summary class="small policy-diff-summary">
          Changes {base}: +{added} −{removed} lines
        </summary>
        <DiffView hunks={diff.hunks} label={`Changes of ${version.version} ${base}`} />
      </details>
    </li>
  );
}

/** The History section of the Policies page: one page of versions, newest first. */
export async function HistorySection({ deps, cursor }: { deps: DashboardDeps; cursor?: string }) {
  const history = deps.policyHistory;
  if (!history) return null;
  const versions = await history.list({ limit: PAGE_SIZE, cursor });
  return (
    <section class="card" id="history">
      <h2>History</h2>
      <p class="muted small">
        Every version the server has run, newest first, with its changes from the one before. An edit that was
        refused never ran, so it is not here.
      </p>
      {versions.items.length === 0 ? (
        <p class="muted">No version recorded yet.</p>
      ) : (
        <ol class="policy-history">
          {versions.items.map((version) => (
            <VersionItem deps={deps} history={history} version={version} />
          ))}
        </ol>
      )}
      {versions.nextCursor ? (
        <p>
          <a href={`/policies?history=${encodeURIComponent(versions.nextCursor)}#history`}>Older versions</a>
        </p>
      ) : null}
    </section>
  );
}

async function versionPage(deps: DashboardDeps, history: PolicyHistory, c: Context<DashEnv>) {
  const from = c.req.query('from') || undefined;
  const diff = await history.diff(c.req.param('version') ?? '', from);
  const v = diff.to;
  const base = diff.from ? `from ${diff.from.version}` : 'from nothing (first version recorded)';
  const body = (
    <>
      <div class="page-head">
        <h1>
          Policy <span class="mono">{v.version}</span>
        </h1>
        {v.version === deps.policy.current().version ? <InForce /> : null}
      </div>
      <p>
        <a href="/policies#history">← History</a>
      </p>
      <section class="card">
        <dl class="facts">
          <dt>First in force</dt>
          <dd>
            <Time ms={v.firstInForceAt} />
          </dd>
          <dt>Put in force by</dt>
          <dd>{await byWhom(deps.store, v)}</dd>
          <dt>Rules</dt>
          <dd>{v.rules}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>Changes {base}</h2>
        <form method="get" class="inline">
          <label>
            Compare with{' '}
            <input name="from" class="mono" value={diff.from?.version ?? ''} placeholder="pol_…" size={22} />
          </label>{' '}
          <button type="submit" class="btn btn-small">
            Compare
          </button>
        </form>
        <DiffView hunks={diff.hunks} label={`Changes of ${v.version} ${base}`} />
      </section>
      <section class="card">
        <h2>Source</h2>
        <pre class="json policy-file">{v.source}</pre>
      </section>
    </>
  );
  return page(c, `Policy ${v.version}`, 'policies', body);
}

/** A version's page: its facts, its diff (from its predecessor or a chosen version) and its source. */
export function policyHistoryPages(app: DashApp, deps: DashboardDeps) {
  const history = deps.policyHistory;
  if (!history) return;
  app.get('/policies/versions/:version', (c) => versionPage(deps, history, c));
}
