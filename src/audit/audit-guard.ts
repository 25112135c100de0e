import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { auditScope } from './audit-scope.js'

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode'])

/**
 * Watches the statements the store runs OUTSIDE `store.transaction`: a write there while the request's audit event
 * is still unwritten is a change that would commit without its event (and the event would follow after the
 * response, separable by a crash). Every audited change must go through `store.transaction`, which writes the
 * event with it; this guard finds the ones that do not (tests make it throw, production logs it).
 */
export class UntransactedWriteGuard implements KyselyPlugin {
  constructor(private readonly onViolation: (action: string, statement: string) => void) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const pending = auditScope.getStore()
    if (pending && !pending.written && isWrite(args.node)) {
      this.onViolation(pending.draft().action, args.node.kind)
    }
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

function isWrite(node: RootOperationNode): boolean {
  if (WRITES.has(node.kind)) return true
  // sql`…` statements: the first fragment names the verb.
  return node.kind === 'RawNode' && /^\s*(insert|update|delete)\b/i.test(node.sqlFragments[0] ?? '')
}
