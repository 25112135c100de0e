import { Type } from 'typebox'

export const SearchQuery = Type.Object({
  query: Type.Optional(Type.String()),
  page: Type.Optional(Type.String()),
  size: Type.Optional(Type.String()),
  sort: Type.Optional(Type.String()),
  asc: Type.Optional(Type.String()),
})

const ResourceResult = Type.Object({
  created: Type.String(),
  modified: Type.String(),
  custom: Type.Boolean(),
  delete: Type.Boolean(),
  dependencies: Type.Array(Type.String()),
  id: Type.String(),
  module: Type.String(),
  name: Type.String(),
  package: Type.String(),
  parent_urn: Type.String(),
  provider_urn: Type.String(),
  project: Type.String(),
  protected: Type.Boolean(),
  stack: Type.String(),
  type: Type.String(),
  urn: Type.String(),
})

export const ResourceSearchResult = Type.Object({
  total: Type.Integer(),
  resources: Type.Array(ResourceResult),
  pagination: Type.Object({ previous: Type.Optional(Type.String()), next: Type.Optional(Type.String()) }),
})
