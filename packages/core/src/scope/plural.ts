/**
 * The detail names an `allowed_<plural>` constraint checks: the singular forms of `<plural>`
 * by the rules below, then `<plural>` itself, which is always checked. The rules are explicit
 * and tested (test/scope-plural.test.ts) because a wrong guess is a hole: `allowed_countries`
 * once checked a detail named `countrie`, so `{"country": "KP"}` passed unchecked.
 *
 * | plural                                     | singular                     | example                               |
 * |--------------------------------------------|------------------------------|---------------------------------------|
 * | listed irregular                           | the listed singular          | `people` → `person`, `indices` → `index` |
 * | listed invariant                           | none (the plural only)       | `data`, `series`, `species`           |
 * | ends in `ies`                              | `y` (listed words: `ie`)     | `countries` → `country`, `movies` → `movie` |
 * | ends in `ves`                              | `ve` (listed words: `f`/`fe`) | `drives` → `drive`, `leaves` → `leaf`, `knives` → `knife` |
 * | ends in `sses`, `shes`, `xes`, `zzes`      | without `es`                 | `addresses` → `address`, `boxes` → `box` |
 * | ends in `ches`, `oes` or another `ses`     | without `es` and without `s` | `matches` → `match`, `caches` → `cache`, `statuses` → `status`, `databases` → `database` |
 * | ends in `ss`, `us`, `is` (not plurals)     | none                         | `access`, `status`, `analysis`        |
 * | ends in `s`                                | without `s`                  | `recipients` → `recipient`            |
 * | anything else                              | none                         | `metadata`                            |
 *
 * Where English is ambiguous (`ches`, `oes`, `ses`) both singulars are checked: every
 * candidate present in the details is checked, so an extra candidate can only refuse more.
 */

// Maps, not object literals: a key named `constructor` must not find Object's own.
const IRREGULAR: ReadonlyMap<string, string> = new Map(
  Object.entries({
    people: 'person',
    persons: 'person',
    children: 'child',
    men: 'man',
    women: 'woman',
    feet: 'foot',
    teeth: 'tooth',
    mice: 'mouse',
    geese: 'goose',
    oxen: 'ox',
    quizzes: 'quiz',
    indices: 'index',
    matrices: 'matrix',
    vertices: 'vertex',
    appendices: 'appendix',
    analyses: 'analysis',
    axes: 'axis',
    bases: 'base',
    crises: 'crisis',
    diagnoses: 'diagnosis',
    hypotheses: 'hypothesis',
    parentheses: 'parenthesis',
    theses: 'thesis',
    criteria: 'criterion',
    phenomena: 'phenomenon',
    schemata: 'schema',
    stimuli: 'stimulus',
    cacti: 'cactus',
    fungi: 'fungus',
    radii: 'radius',
    alumni: 'alumnus',
    curricula: 'curriculum',
    memoranda: 'memorandum',
  }),
);

const INVARIANT: ReadonlySet<string> = new Set([
  'data',
  'metadata',
  'media',
  'series',
  'species',
  'news',
  'info',
  'feedback',
  'equipment',
  'sheep',
  'fish',
  'deer',
  'aircraft',
]);

/** Plurals in `ies` whose singular ends in `ie`, not `y`. */
const IE_SINGULARS: ReadonlySet<string> = new Set([
  'movies',
  'cookies',
  'ties',
  'pies',
  'lies',
  'zombies',
  'calories',
  'rookies',
  'selfies',
  'hoodies',
  'goalies',
  'brownies',
  'smoothies',
  'prairies',
  'genies',
  'newbies',
]);

/** Plurals in `ves` whose singular ends in `f` or `fe`, not `ve`. */
const F_SINGULARS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    leaves: 'leaf',
    loaves: 'loaf',
    thieves: 'thief',
    sheaves: 'sheaf',
    wolves: 'wolf',
    shelves: 'shelf',
    halves: 'half',
    calves: 'calf',
    selves: 'self',
    elves: 'elf',
    scarves: 'scarf',
    hooves: 'hoof',
    knives: 'knife',
    wives: 'wife',
    lives: 'life',
  }),
);

/** The singular forms of a plural noun (possibly none), by the table above. */
export function singularsOf(plural: string): string[] {
  const irregular = IRREGULAR.get(plural);
  if (irregular !== undefined) return [irregular];
  if (INVARIANT.has(plural) || plural.length < 3) return [];
  const withoutS = plural.slice(0, -1);
  const withoutEs = plural.slice(0, -2);
  if (plural.endsWith('ies')) return [IE_SINGULARS.has(plural) ? withoutS : `${plural.slice(0, -3)}y`];
  if (plural.endsWith('ves')) {
    const f = F_SINGULARS.get(plural);
    return f === undefined ? [withoutS] : [f];
  }
  if (/(?:ss|sh|x|zz)es$/.test(plural)) return [withoutEs];
  if (/(?:ch|o|s)es$/.test(plural)) return [withoutEs, withoutS];
  if (/(?:ss|us|is)$/.test(plural)) return [];
  if (plural.endsWith('s')) return [withoutS];
  return [];
}

/** Every detail name an `allowed_<plural>` list applies to: the singulars, then the plural. */
export function allowedDetailNames(plural: string): string[] {
  return [...new Set([...singularsOf(plural), plural])];
}
