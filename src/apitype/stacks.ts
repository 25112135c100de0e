import { Type } from 'typebox'

// Wire shapes of sdk/go/common/apitype/stacks.go and core.go (Stack), with the CLI's exact JSON names.

export const StackPath = Type.Object({
  orgName: Type.String(),
  projectName: Type.String(),
  stackName: Type.String(),
})

export const ProjectPath = Type.Object({ orgName: Type.String(), projectName: Type.String() })

export const ListStacksQuery = Type.Object({
  organization: Type.Optional(Type.String()),
  project: Type.Optional(Type.String()),
  tagName: Type.Optional(Type.String()),
  tagValue: Type.Optional(Type.String()),
  continuationToken: Type.Optional(Type.String()),
})

const TagMap = Type.Record(Type.String(), Type.String())

/** apitype.CreateStackRequest */
export const CreateStackRequest = Type.Object({
  stackName: Type.String(),
  tags: Type.Optional(Type.Union([TagMap, Type.Null()])),
  // Teams granted read and update access to the new stack (stack_new.go: --teams); groups of the identity provider.
  teams: Type.Optional(
    Type.Union([Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 }), Type.Null()]),
  ),
  // An initial UntypedDeployment, validated by the service; kept opaque here.
  state: Type.Optional(Type.Unknown()),
  config: Type.Optional(Type.Unknown()),
})

/** apitype.StackRenameRequest */
export const StackRenameRequest = Type.Object({
  newName: Type.String(),
  newProject: Type.Optional(Type.String()),
})

export const UpdateStackTagsRequest = TagMap

// Query values arrive as strings (the body schemas are strict, so no type coercion anywhere).
export const DeleteStackQuery = Type.Object({
  force: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
})

/** apitype.Stack (GET stack). `config` is deliberately never sent: any value marks the stack as remote-config. */
export interface StackResponse {
  id: string
  orgName: string
  projectName: string
  stackName: string
  activeUpdate: string
  currentOperation?: { kind: string; author: string; started: number }
  tags: Record<string, string>
  version: number
}

/** apitype.StackSummary */
export interface StackSummary {
  id: string
  orgName: string
  projectName: string
  stackName: string
  lastUpdate?: number
  resourceCount?: number
}
