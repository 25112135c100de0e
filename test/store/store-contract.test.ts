// One contract for the SQL store, run against every dialect: each store method's behaviour, and the concurrent
// cases that SQLite's single writer makes easy and PostgreSQL's many connections make real.
import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { AuditEvent } from '../../src/audit/audit-event.js'
import { verifyChain } from '../../src/audit/verify-chain.js'
import type { SqlStore } from '../../src/db/store.js'
import { AlreadyExistsError } from '../../src/errors.js'
import type { AccessToken } from '../../src/identity/access-token-store.js'
import type { LoginSession } from '../../src/identity/login-session-store.js'
import type { Stack } from '../../src/stacks/stack.js'
import { newUpdate, type Update } from '../../src/updates/update.js'
import { DIALECTS, useStore } from './dialects.js'

let counter = 0
function newStack(fields: Partial<Stack> = {}): Stack {
  counter++
  return {
    id: randomUUID(),
    org: 'acme',
    project: `p${process.pid}`,
    name: `s${counter}-${randomBytes(3).toString('hex')}`,
    tags: {},
    version: 0,
    resourceCount: 0,
    lockedByUpdate: null,
    lastUpdateId: null,
    lastUpdateAt: null,
    createdAt: 1_700_000_000_000 + counter,
    ...fields,
  }
}

function update(stackId: string, fields: Partial<Update> = {}): Update {
  return newUpdate({
    id: randomUUID(),
    stackId,
    kind: 'update',
    dryRun: false,
    status: 'running',
    version: 1,
    baseVersion: 0,
    requestedBy: 'alice',
    createdAt: 1_700_000_000_000 + ++counter,
    startedAt: 1_700_000_000_000 + counter,
    ...fields,
  })
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex')

for (const dialect of DIALECTS) {
  describe(`store contract on ${dialect.name}`, { skip: dialect.skip }, () => {
    let store: SqlStore
    useStore(dialect, (opened) => {
      store = opened.store
    })

    describe('meta', () => {
      it('reads nothing for an absent key; the first setIfAbsent wins', async () => {
        assert.equal(await store.meta.get('k1'), undefined)
        assert.equal(await store.meta.setIfAbsent('k1', 'first'), 'first')
        assert.equal(await store.meta.setIfAbsent('k1', 'second'), 'first')
        assert.equal(await store.meta.get('k1'), 'first')
      })

      it('concurrent setIfAbsent calls all see one value', async () => {
        const values = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.meta.setIfAbsent('k-race', `v${i}`)),
        )
        assert.equal(new Set(values).size, 1)
        assert.equal(await store.meta.get('k-race'), values[0])
      })
    })

    describe('access tokens', () => {
      const token = (fields: Partial<AccessToken> = {}): AccessToken => ({
        id: randomUUID(),
        tokenHash: hash(randomUUID()),
        kind: 'personal',
        name: '',
        description: 'ci',
        userLogin: `u-${randomBytes(3).toString('hex')}`,
        org: null,
        groups: [],
        createdBy: null,
        createdAt: 1_700_000_000_000 + ++counter,
        lastUsedAt: null,
        expiresAt: null,
        idpRefreshToken: null,
        revalidatedAt: null,
        ...fields,
      })

      it('inserts, finds by hash with every field, counts and records the last use', async () => {
        const before = await store.accessTokens.count()
        const stored = token({ groups: ['a', 'b'], org: 'acme', createdBy: 'alice', expiresAt: 9e12 })
        await store.accessTokens.insert(stored)
        assert.deepEqual(await store.accessTokens.findByHash(stored.tokenHash), stored)
        assert.equal(await store.accessTokens.findByHash(hash('nope')), undefined)
        assert.equal(await store.accessTokens.count(), before + 1)
        await store.accessTokens.touch(stored.id, 1_700_000_000_500)
        await store.accessTokens.setIdpRefreshToken(stored.id, 'sealed')
        assert.deepEqual(await store.accessTokens.findByHash(stored.tokenHash), {
          ...stored,
          lastUsedAt: 1_700_000_000_500,
          idpRefreshToken: 'sealed',
        })
        await assert.rejects(store.accessTokens.insert({ ...stored, id: randomUUID() }), 'hashes are unique')
      })

      it('lists personal and organization tokens by owner, deletes only with the right owner', async () => {
        const user = `u-${randomBytes(3).toString('hex')}`
        const org = `o-${randomBytes(3).toString('hex')}`
        const mine = [token({ userLogin: user }), token({ userLogin: user })]
        const orgToken = token({ kind: 'organization', userLogin: org, org })
        for (const t of [...mine, orgToken, token()]) await store.accessTokens.insert(t)
        assert.deepEqual(
          (await store.accessTokens.listPersonal(user)).map((t) => t.id),
          mine.map((t) => t.id),
        )
        assert.deepEqual(
          (await store.accessTokens.listOrganization(org)).map((t) => t.id),
          [orgToken.id],
        )
        assert.equal(
          await store.accessTokens.delete(orgToken.id, { kind: 'personal', userLogin: org }),
          false,
        )
        assert.equal(await store.accessTokens.delete(orgToken.id, { kind: 'organization', org }), true)
        assert.equal(await store.accessTokens.delete(orgToken.id, { kind: 'organization', org }), false)
        assert.equal(await store.accessTokens.deletePersonal(user), 2)
        assert.deepEqual(await store.accessTokens.listPersonal(user), [])
      })

      it('deletes by id and expired tokens only', async () => {
        const [expired, live, forever] = [token({ expiresAt: 1000 }), token({ expiresAt: 9e12 }), token()]
        for (const t of [expired, live, forever]) await store.accessTokens.insert(t)
        await store.accessTokens.deleteExpired(1000)
        assert.equal(await store.accessTokens.findByHash(expired.tokenHash), undefined)
        assert.ok(await store.accessTokens.findByHash(live.tokenHash))
        assert.ok(await store.accessTokens.findByHash(forever.tokenHash))
        await store.accessTokens.deleteById(live.id)
        assert.equal(await store.accessTokens.findByHash(live.tokenHash), undefined)
      })

      it('lets exactly one of several concurrent claims re-validate a token', async () => {
        const t = token()
        await store.accessTokens.insert(t)
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, i) => store.accessTokens.claimRevalidation(t.id, null, 5000 + i)),
        )
        assert.equal(claims.filter(Boolean).length, 1)
        const at = (await store.accessTokens.findByHash(t.tokenHash))?.revalidatedAt ?? null
        assert.equal(
          await store.accessTokens.claimRevalidation(t.id, null, 9000),
          false,
          'stale previous value',
        )
        assert.equal(await store.accessTokens.claimRevalidation(t.id, at, 9000), true)
      })
    })

    describe('login sessions', () => {
      const session = (fields: Partial<LoginSession> = {}): LoginSession => ({
        id: hash(randomUUID()),
        oidcNonce: 'nonce',
        pkceVerifier: 'verifier',
        cli: { port: 43123, nonce: 'cli-nonce', description: 'laptop' },
        createdAt: 1000,
        expiresAt: 5000,
        ...fields,
      })

      it('hands a session out once, also to concurrent callbacks', async () => {
        const s = session()
        await store.loginSessions.insert(s)
        const taken = await Promise.all([
          store.loginSessions.take(s.id, 2000),
          store.loginSessions.take(s.id, 2000),
        ])
        assert.deepEqual(
          taken.filter((t) => t !== undefined),
          [s],
        )
        const plain = session({ cli: undefined })
        await store.loginSessions.insert(plain)
        assert.deepEqual(await store.loginSessions.take(plain.id, 2000), plain)
      })

      it('refuses expired sessions and deletes them', async () => {
        const [old, fresh] = [session({ expiresAt: 1500 }), session({ expiresAt: 9000 })]
        await store.loginSessions.insert(old)
        await store.loginSessions.insert(fresh)
        await store.loginSessions.deleteExpired(2000)
        assert.equal(await store.loginSessions.take(old.id, 1000), undefined)
        assert.equal(await store.loginSessions.take(fresh.id, 9000), undefined, 'expired at take time')
      })
    })

    describe('stacks', () => {
      it('inserts and finds by reference and by id, with every field', async () => {
        const stack = newStack({ tags: { team: 'web', 'pulumi:project': 'x' }, lastUpdateAt: 5 })
        await store.stacks.insert(stack)
        assert.deepEqual(
          await store.stacks.findByRef({ org: stack.org, project: stack.project, stack: stack.name }),
          stack,
        )
        assert.deepEqual(await store.stacks.findById(stack.id), stack)
        assert.equal(await store.stacks.findById(randomUUID()), undefined)
      })

      it('refuses a taken name with AlreadyExistsError, also when two inserts race', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        await assert.rejects(store.stacks.insert({ ...stack, id: randomUUID() }), AlreadyExistsError)
        const twin = newStack()
        const results = await Promise.allSettled([
          store.stacks.insert(twin),
          store.stacks.insert({ ...twin, id: randomUUID() }),
        ])
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
        const failure = results.find((r) => r.status === 'rejected')
        assert.ok(failure?.reason instanceof AlreadyExistsError)
      })

      it('lists in (org, project, name) order with keyset pages, org/project filters and a limit', async () => {
        const org = `org-${randomBytes(3).toString('hex')}`
        const names = ['b', 'a', 'c']
        for (const project of ['p2', 'p1']) {
          for (const name of names) await store.stacks.insert(newStack({ org, project, name }))
        }
        const all = await store.stacks.list({ org, limit: 100 })
        assert.deepEqual(
          all.map((s) => `${s.project}/${s.name}`),
          ['p1/a', 'p1/b', 'p1/c', 'p2/a', 'p2/b', 'p2/c'],
        )
        const page = await store.stacks.list({ org, limit: 2, after: { org, project: 'p1', stack: 'b' } })
        assert.deepEqual(
          page.map((s) => `${s.project}/${s.name}`),
          ['p1/c', 'p2/a'],
        )
        assert.deepEqual(
          (await store.stacks.list({ org, project: 'p2', limit: 100 })).map((s) => s.name),
          ['a', 'b', 'c'],
        )
        assert.equal((await store.stacks.list({ org: `${org}-none`, limit: 10 })).length, 0)
      })

      it('filters by tag name and value across more rows than one scan page', async () => {
        const org = `tags-${randomBytes(3).toString('hex')}`
        await store.transaction(async (tx) => {
          for (let i = 0; i < 520; i++) {
            const tags: Record<string, string> = i % 130 === 129 ? { env: i < 300 ? 'dev' : 'prod' } : {}
            await tx.stacks.insert(
              newStack({ org, project: 'p', name: `s${String(i).padStart(3, '0')}`, tags }),
            )
          }
        })
        const tagged = await store.stacks.list({ org, tagName: 'env', limit: 10 })
        assert.deepEqual(
          tagged.map((s) => s.name),
          ['s129', 's259', 's389', 's519'],
        )
        const prod = await store.stacks.list({ org, tagName: 'env', tagValue: 'prod', limit: 1 })
        assert.deepEqual(
          prod.map((s) => s.name),
          ['s389'],
        )
      })

      it('sets tags, renames (refusing a taken name), records versions and the last update', async () => {
        const stack = newStack()
        const other = newStack({ project: stack.project })
        await store.stacks.insert(stack)
        await store.stacks.insert(other)
        await store.stacks.setTags(stack.id, { a: '1' })
        await store.stacks.rename(stack.id, 'moved', 'renamed')
        await assert.rejects(store.stacks.rename(stack.id, other.project, other.name), AlreadyExistsError)
        assert.equal(
          await store.stacks.recordVersion(stack.id, {
            version: 3,
            resourceCount: 7,
            at: 42,
            lockedBy: null,
          }),
          false,
          'only the version after the current one',
        )
        assert.equal(
          await store.stacks.recordVersion(stack.id, {
            version: 1,
            resourceCount: 7,
            at: 42,
            lockedBy: 'other',
          }),
          false,
          'only by the lock holder',
        )
        for (const version of [1, 2, 3]) {
          assert.ok(
            await store.stacks.recordVersion(stack.id, { version, resourceCount: 7, at: 42, lockedBy: null }),
          )
        }
        const id = randomUUID()
        await store.stacks.setLastUpdate(stack.id, id, 43)
        assert.deepEqual(await store.stacks.findById(stack.id), {
          ...stack,
          project: 'moved',
          name: 'renamed',
          tags: { a: '1' },
          version: 3,
          resourceCount: 7,
          lastUpdateId: id,
          lastUpdateAt: 43,
        })
      })

      it('locks for one update at a time, also when two lock at once; unlock only by the holder', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const [a, b] = [randomUUID(), randomUUID()]
        const won = await Promise.all([store.stacks.lock(stack.id, a, 1), store.stacks.lock(stack.id, b, 1)])
        assert.deepEqual(won.filter(Boolean).length, 1, 'exactly one lock succeeds')
        const holder = won[0] ? a : b
        const loser = won[0] ? b : a
        await store.stacks.unlock(stack.id, loser)
        assert.equal((await store.stacks.findById(stack.id))?.lockedByUpdate, holder)
        assert.equal((await store.stacks.findById(stack.id))?.lastUpdateId, holder)
        await store.stacks.unlock(stack.id, holder)
        assert.equal((await store.stacks.findById(stack.id))?.lockedByUpdate, null)
        assert.equal(await store.stacks.lock(stack.id, loser, 2), true)
      })

      it('serializes read-then-write transactions on one stack: concurrent version bumps never collide', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const bump = () =>
          store.transaction(async (tx) => {
            const current = await tx.stacks.findById(stack.id)
            assert.ok(current)
            // Give the other transaction every chance to read the same version.
            await new Promise((resolve) => setTimeout(resolve, 20))
            const version = current.version + 1
            await tx.state.put(stateVersion(stack.id, version, `v${version}`))
            assert.ok(
              await tx.stacks.recordVersion(stack.id, {
                version,
                resourceCount: version,
                at: version,
                lockedBy: null,
              }),
            )
            return version
          })
        const versions = await Promise.all([bump(), bump(), bump()])
        assert.deepEqual([...versions].sort(), [1, 2, 3], 'distinct versions')
        assert.equal((await store.stacks.findById(stack.id))?.version, 3)
        for (const v of [1, 2, 3])
          assert.equal((await store.state.get(stack.id, v))?.deployment.toString(), `v${v}`)
      })

      it('deletes a stack with everything it owns, leaving other stacks alone', async () => {
        const stack = newStack()
        const kept = newStack()
        for (const s of [stack, kept]) {
          await store.stacks.insert(s)
          const u = update(s.id)
          await store.updates.insert(u)
          await store.updateLogs.appendJournal(u.id, [{ sequenceId: 1, entry: '{}' }])
          await store.updateLogs.appendEvents([{ updateId: u.id, sequence: 1, event: '{}' }])
          await store.updateLogs.appendCheckpoint(u.id, checkpoint(0))
          await store.state.put(stateVersion(s.id, 1, 'x'))
          await store.stackKeys.insertIfAbsent(s.id, randomBytes(60), 1)
        }
        await store.stacks.delete(stack.id)
        assert.equal(await store.stacks.findById(stack.id), undefined)
        assert.equal(await store.state.get(stack.id, 1), undefined)
        assert.equal(await store.stackKeys.get(stack.id), undefined)
        assert.deepEqual(await store.updates.history(stack.id, 1, 10), [])
        const keptUpdates = await store.updates.history(kept.id, 1, 10)
        assert.equal(keptUpdates.length, 1)
        assert.equal((await store.updateLogs.journal(keptUpdates[0]?.id ?? '')).length, 1)
        assert.ok(await store.stackKeys.get(kept.id))
      })
    })

    describe('stack keys', () => {
      it('stores the first key; concurrent first creations all return that one key', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        assert.equal(await store.stackKeys.get(stack.id), undefined)
        const keys = Array.from({ length: 8 }, () => randomBytes(60))
        const stored = await Promise.all(keys.map((k) => store.stackKeys.insertIfAbsent(stack.id, k, 1)))
        const winner = stored[0]
        assert.ok(winner && keys.some((k) => k.equals(winner)))
        for (const key of stored) assert.ok(key.equals(winner), 'every caller got the same key')
        assert.ok((await store.stackKeys.get(stack.id))?.equals(winner))
      })

      it('concurrent first creations inside transactions also create exactly one key', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const stored = await Promise.all(
          Array.from({ length: 4 }, () =>
            store.transaction((tx) => tx.stackKeys.insertIfAbsent(stack.id, randomBytes(60), 1)),
          ),
        )
        for (const key of stored) assert.ok(key.equals(stored[0] ?? Buffer.alloc(0)))
      })
    })

    describe('state versions', () => {
      it('round-trips a large binary deployment exactly', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const big = randomBytes(24 * 1024 * 1024)
        const version = { ...stateVersion(stack.id, 1, ''), deployment: big, size: big.length }
        await store.state.put(version)
        const read = await store.state.get(stack.id, 1)
        assert.ok(read?.deployment.equals(big), 'the same bytes come back')
        assert.deepEqual({ ...read, deployment: null }, { ...version, deployment: null })
      })

      it('replaces a version written again; prunes all but the newest N and says which went', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        for (const v of [1, 2, 3, 4]) await store.state.put(stateVersion(stack.id, v, `v${v}`))
        await store.state.put(stateVersion(stack.id, 4, 'v4-again'))
        assert.equal((await store.state.get(stack.id, 4))?.deployment.toString(), 'v4-again')
        assert.deepEqual((await store.state.prune(stack.id, 2)).sort(), [1, 2])
        assert.equal(await store.state.get(stack.id, 2), undefined)
        assert.ok(await store.state.get(stack.id, 3))
        assert.deepEqual(await store.state.prune(stack.id, 5), [])
      })

      it('lists uncompressed versions and compresses one only while its hash still matches', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        await store.state.put(stateVersion(stack.id, 1, 'plain'))
        await store.state.put({ ...stateVersion(stack.id, 2, 'gz'), encoding: 'gzip' })
        const pending = await store.state.uncompressed(100_000)
        assert.ok(pending.some((p) => p.stackId === stack.id && p.version === 1))
        assert.ok(!pending.some((p) => p.stackId === stack.id && p.version === 2))
        await store.state.storeCompressed(stack.id, 1, hash('other'), Buffer.from('wrong'))
        assert.equal(
          (await store.state.get(stack.id, 1))?.encoding,
          'identity',
          'a stale hash changes nothing',
        )
        await store.state.storeCompressed(stack.id, 1, hash('plain'), Buffer.from('gzipped'))
        const stored = await store.state.get(stack.id, 1)
        assert.equal(stored?.encoding, 'gzip')
        assert.equal(stored?.deployment.toString(), 'gzipped')
      })
    })

    describe('updates', () => {
      it('inserts, reads back every field, and patches', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const u = update(stack.id, {
          program: { name: 'p' },
          config: { 'p:a': { string: 'b' } },
          environment: { 'exec.kind': 'cli' },
          message: 'hello',
          leaseTokenHash: hash('lease'),
          leaseExpiresAt: 1_700_000_999_999,
          journalVersion: 1,
        })
        await store.updates.insert(u)
        assert.deepEqual(await store.updates.get(u.id), u)
        await store.updates.patch(u.id, {
          status: 'succeeded',
          endedAt: 9,
          resourceChanges: { create: 2 },
          resourceCount: 2,
          checkpointSeq: 4,
        })
        assert.deepEqual(await store.updates.get(u.id), {
          ...u,
          status: 'succeeded',
          endedAt: 9,
          resourceChanges: { create: 2 },
          resourceCount: 2,
          checkpointSeq: 4,
        })
        await store.updates.patch(u.id, {})
        assert.equal(await store.updates.get(randomUUID()), undefined)
      })

      it('patches conditionally: of concurrent completes exactly one wins; expectations are checked', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const u = update(stack.id, { leaseTokenHash: hash(`lease-${stack.id}`) })
        await store.updates.insert(u)
        const completes = await Promise.all(
          (['succeeded', 'failed', 'cancelled'] as const).map((status) =>
            store.updates.patchIf(u.id, { status: ['running'] }, { status, endedAt: 5 }),
          ),
        )
        assert.equal(completes.filter(Boolean).length, 1)
        assert.equal(await store.updates.patchIf(u.id, { status: ['running'] }, { status: 'failed' }), false)
        const other = update(stack.id, { leaseTokenHash: hash(`other-${stack.id}`) })
        await store.updates.insert(other)
        assert.equal(
          await store.updates.patchIf(other.id, { leaseHeldBy: hash('wrong') }, { message: 'x' }),
          false,
        )
        assert.equal(
          await store.updates.patchIf(other.id, { leaseHeldBy: hash(`other-${stack.id}`) }, { message: 'x' }),
          true,
        )
        assert.equal((await store.updates.get(other.id))?.message, 'x')
      })

      it('pages history newest first without previews or never-started updates; finds by version', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const done = [1, 2, 3].map((v) => update(stack.id, { version: v, status: 'succeeded' }))
        for (const u of done) await store.updates.insert(u)
        await store.updates.insert(update(stack.id, { version: 3, dryRun: true, kind: 'preview' }))
        await store.updates.insert(update(stack.id, { version: 4, status: 'not started', startedAt: null }))
        assert.deepEqual(
          (await store.updates.history(stack.id, 1, 2)).map((u) => u.version),
          [3, 2],
        )
        assert.deepEqual(
          (await store.updates.history(stack.id, 2, 2)).map((u) => u.version),
          [1],
        )
        assert.equal((await store.updates.byVersion(stack.id, 2))?.id, done[1]?.id)
        assert.equal((await store.updates.byVersion(stack.id, 3))?.id, done[2]?.id, 'not the preview')
        assert.equal(await store.updates.byVersion(stack.id, 4), undefined)
      })

      it('finds an update by its current or previous lease hash, and lists lapsed running leases', async () => {
        const stack = newStack()
        await store.stacks.insert(stack)
        const u = update(stack.id, {
          leaseTokenHash: hash(`now-${stack.id}`),
          previousLeaseTokenHash: hash(`before-${stack.id}`),
          leaseExpiresAt: 1000,
        })
        const ended = update(stack.id, { status: 'failed', leaseExpiresAt: 1000 })
        await store.updates.insert(u)
        await store.updates.insert(ended)
        const holder = {
          updateId: u.id,
          stackId: stack.id,
          org: stack.org,
          project: stack.project,
          stack: stack.name,
        }
        assert.deepEqual(await store.updates.leaseHolder(hash(`now-${stack.id}`)), holder)
        assert.deepEqual(await store.updates.leaseHolder(hash(`before-${stack.id}`)), holder)
        assert.equal(await store.updates.leaseHolder(hash('never')), undefined)
        const lapsed = (await store.updates.expired(1001)).map((x) => x.id)
        assert.ok(lapsed.includes(u.id))
        assert.ok(!lapsed.includes(ended.id), 'only running updates lapse')
        assert.ok(!(await store.updates.expired(1000)).map((x) => x.id).includes(u.id), 'not before expiry')
      })
    })

    describe('update logs', () => {
      it('appends journal entries idempotently, in sequence order, across insert slices', async () => {
        const id = randomUUID()
        const entries = Array.from({ length: 450 }, (_, i) => ({
          sequenceId: i + 1,
          entry: `{"n":${i + 1}}`,
        }))
        await store.updateLogs.appendJournal(id, entries.slice(0, 300).reverse())
        // A retried batch overlapping what is stored: nothing twice, the first text kept.
        await store.updateLogs.appendJournal(id, [
          ...entries.slice(250),
          { sequenceId: 1, entry: '{"retry":true}' },
        ])
        assert.deepEqual(await store.updateLogs.journal(id), entries)
      })

      it('appends and returns checkpoint uploads in position order', async () => {
        const id = randomUUID()
        await store.updateLogs.appendCheckpoint(id, checkpoint(1))
        await store.updateLogs.appendCheckpoint(id, checkpoint(0))
        assert.deepEqual(await store.updateLogs.checkpoints(id), [checkpoint(0), checkpoint(1)])
        await assert.rejects(
          store.updateLogs.appendCheckpoint(id, checkpoint(1)),
          'a position is written once',
        )
      })

      it('appends events idempotently and pages them after a sequence', async () => {
        const id = randomUUID()
        const rows = Array.from({ length: 250 }, (_, i) => ({
          updateId: id,
          sequence: i,
          event: `{"s":${i}}`,
        }))
        await Promise.all([
          store.updateLogs.appendEvents(rows),
          store.updateLogs.appendEvents(rows.slice(100)),
        ])
        const page = await store.updateLogs.events(id, 99, 3)
        assert.deepEqual(page, [
          { sequence: 100, event: '{"s":100}' },
          { sequence: 101, event: '{"s":101}' },
          { sequence: 102, event: '{"s":102}' },
        ])
        assert.equal((await store.updateLogs.events(id, -1, 1000)).length, 250)
      })

      it('clears the working logs of one update, keeping its events and other updates', async () => {
        const [id, other] = [randomUUID(), randomUUID()]
        for (const u of [id, other]) {
          await store.updateLogs.appendJournal(u, [{ sequenceId: 1, entry: '{}' }])
          await store.updateLogs.appendCheckpoint(u, checkpoint(0))
          await store.updateLogs.appendEvents([{ updateId: u, sequence: 0, event: '{}' }])
        }
        await store.updateLogs.clearWorkingLogs(id)
        assert.deepEqual(await store.updateLogs.journal(id), [])
        assert.deepEqual(await store.updateLogs.checkpoints(id), [])
        assert.equal((await store.updateLogs.events(id, -1, 10)).length, 1)
        assert.equal((await store.updateLogs.journal(other)).length, 1)
        assert.equal((await store.updateLogs.checkpoints(other)).length, 1)
      })
    })

    describe('audit log', () => {
      const event = (i: number): AuditEvent => ({
        timeMs: 1_700_000_000_000 + i,
        org: 'acme',
        actor: 'alice',
        tokenName: undefined,
        action: `action${i}`,
        method: 'POST',
        resource: 'acme/p/s',
        result: 'success',
        httpStatus: 200,
        sourceIp: '127.0.0.1',
        userAgent: 'test',
        description: '',
      })

      it('chains appends of concurrent transactions one after another, each with its own sequence number', async () => {
        const before = await verifyChain(store.audit)
        assert.equal(before.ok, true)
        // Each transaction writes a row of its own first, as a request does before its audit event.
        const stored = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.transaction(async (tx) => {
              await tx.stacks.insert(newStack())
              return tx.audit.append(event(i))
            }),
          ),
        )
        assert.equal(new Set(stored.map((e) => e.seq)).size, stored.length)
        const after = await verifyChain(store.audit)
        assert.deepEqual(after, { ok: true, events: before.events + stored.length })
      })
    })

    describe('transactions', () => {
      it('roll back everything on a throw and drop afterCommit effects', async () => {
        const stack = newStack()
        const effects: string[] = []
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.stacks.insert(stack)
            tx.afterCommit(() => effects.push('ran'))
            throw new Error('boom')
          }),
          /boom/,
        )
        assert.equal(await store.stacks.findById(stack.id), undefined)
        assert.deepEqual(effects, [])
      })

      it('run afterCommit effects after the commit; nested transactions join the outer one', async () => {
        const stack = newStack()
        const effects: string[] = []
        await store.transaction(async (tx) => {
          await tx.stacks.insert(stack)
          await tx.transaction(async (inner) => {
            await inner.stacks.setTags(stack.id, { nested: 'yes' })
            inner.afterCommit(() => effects.push('inner'))
          })
          tx.afterCommit(() => effects.push('outer'))
          assert.deepEqual(effects, [], 'nothing runs before the commit')
        })
        assert.deepEqual(effects, ['inner', 'outer'])
        assert.deepEqual((await store.stacks.findById(stack.id))?.tags, { nested: 'yes' })
        store.afterCommit(() => effects.push('now'))
        assert.deepEqual(effects, ['inner', 'outer', 'now'], 'outside a transaction: at once')
      })
    })
  })
}

function stateVersion(stackId: string, version: number, text: string) {
  return {
    stackId,
    version,
    deployment: Buffer.from(text),
    encoding: 'identity' as const,
    sha256: hash(text),
    size: text.length,
    resourceCount: version,
    createdAt: 1_700_000_000_000 + version,
  }
}

function checkpoint(position: number) {
  return {
    position,
    sequenceNumber: position + 1,
    kind: position === 0 ? ('text' as const) : ('delta' as const),
    payload: Buffer.from(`payload-${position}`),
  }
}
