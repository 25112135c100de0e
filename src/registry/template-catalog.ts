import { lstat, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'

/** One project template of the templates directory, as the registry lists it. */
export interface TemplateInfo {
  /** The folder name: the name `pulumi new <name>` matches. */
  name: string
  displayName: string
  description: string
  /** The project's runtime (nodejs, python, go, dotnet, java, yaml). */
  language: string
  metadata: Record<string, string>
  /** Unix milliseconds of the last change of the template's Pulumi.yaml. */
  updatedAt: number
  /** Absolute path of the template's folder. */
  dir: string
}

/** A problem with the configured directory itself, reported at startup. */
export class TemplatesDirError extends Error {
  override name = 'TemplatesDirError'
}

// Names that are one safe path segment: what `pulumi new` can type, and never `.`, `..` or a hidden folder.
const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
// Only this name: the CLI loads a downloaded template from exactly Pulumi.yaml (templates/project_templates.go ::
// LoadTemplate), so a folder with only a Pulumi.yml would list but fail in `pulumi new`.
const PROJECT_FILE = 'Pulumi.yaml'

/**
 * The operator's project templates: a directory of template folders, each holding a Pulumi.yaml with an optional
 * `template:` section (the layout of github.com/pulumi/templates, read by the CLI's
 * sdk/go/common/workspace/templates.go :: LoadTemplate). Read from disk on every call, so templates added or
 * edited show up without a restart. Folders without a Pulumi.yaml, hidden folders, links and files are skipped.
 */
export class TemplateCatalog {
  private constructor(private readonly root: string) {}

  /** Checks that `root` is a readable directory: a wrong -templates-dir fails the start, not `pulumi new`. */
  static async open(root: string): Promise<TemplateCatalog> {
    let isDirectory: boolean
    try {
      isDirectory = (await stat(root)).isDirectory()
      if (isDirectory) await readdir(root)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const reason =
        code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : 'cannot be read'
      throw new TemplatesDirError(`the templates directory ${root} ${reason} (-templates-dir)`)
    }
    if (!isDirectory)
      throw new TemplatesDirError(`the templates directory ${root} is not a directory (-templates-dir)`)
    return new TemplateCatalog(root)
  }

  /** Every template, sorted by name, and a note for each folder whose Pulumi.yaml could not be read. */
  async list(): Promise<{ templates: TemplateInfo[]; problems: string[] }> {
    const entries = (await readdir(this.root, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )
    const templates: TemplateInfo[] = []
    const problems: string[] = []
    for (const entry of entries) {
      // Dirent types come from lstat: a symbolic link to a folder (maybe outside the root) is not a directory.
      if (!entry.isDirectory() || !TEMPLATE_NAME.test(entry.name)) continue
      const template = await readTemplate(join(this.root, entry.name), entry.name)
      if (typeof template === 'string') problems.push(`template ${entry.name}: ${template}`)
      else if (template) templates.push(template)
    }
    return { templates, problems }
  }

  /** The template named exactly `name` (looked up among the listed folders, never joined into a path). */
  async find(name: string): Promise<TemplateInfo | undefined> {
    return (await this.list()).templates.find((t) => t.name === name)
  }
}

/** The template in `dir`; undefined for a folder that holds no project; a message when its project is unusable. */
async function readTemplate(dir: string, name: string): Promise<TemplateInfo | string | undefined> {
  const path = join(dir, PROJECT_FILE)
  let text: string
  let mtimeMs: number
  try {
    // lstat: a Pulumi.yaml that is a link is not packed into the archive either, so it makes no template.
    const info = await lstat(path)
    if (!info.isFile()) return undefined
    mtimeMs = info.mtimeMs
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  const project = parseProject(text)
  if (!project) return `${PROJECT_FILE} is not a YAML mapping`
  // workspace.LoadProject refuses a project without these when `pulumi new` loads the template.
  const language = runtimeName(project.runtime)
  if (!asString(project.name) || !language) return `${PROJECT_FILE} needs a name and a runtime`
  const template = asRecord(project.template)
  return {
    name,
    displayName: asString(template.displayName) || name,
    description: asString(template.description) || asString(project.description),
    language,
    metadata: stringValues(template.metadata),
    updatedAt: Math.floor(mtimeMs),
    dir,
  }
}

function parseProject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = parseYaml(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

// Pulumi.yaml's runtime is a name or `{name, options}` (sdk/go/common/workspace/project.go :: ProjectRuntimeInfo).
function runtimeName(runtime: unknown): string {
  if (typeof runtime === 'string') return runtime
  return asString(asRecord(runtime).name)
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function stringValues(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asRecord(value)).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  )
}
