// Reads several Parquet files with hyparquet (independent of terse's Go
// writer) the way verl's RLHFDataset reads its data.train_files: each file
// on its own, then one concatenated dataset (verl/utils/dataset/rl_dataset.py
// at b178a3cd, _read_files_and_tokenize: datasets.load_dataset("parquet")
// per file, then datasets.concatenate_datasets, which needs the files'
// features to agree). Prints {"schemas": [per file: the schema elements
// (name, type, repetition, logical/converted type, children)], "rows": the
// concatenated rows}.
//
//   node concat_parquet.mjs <hyparquet package dir> <a.parquet> <b.parquet> ...
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const [dir, ...files] = process.argv.slice(2)
const hp = await import(pathToFileURL(join(dir, 'src', 'node.js')).href)
const schemas = []
const rows = []
for (const f of files) {
  const file = await hp.asyncBufferFromFile(f)
  const md = await hp.parquetMetadataAsync(file)
  schemas.push(md.schema.map(e => ({
    name: e.name, type: e.type ?? null, repetition: e.repetition_type ?? null,
    logical: e.logical_type ? e.logical_type.type : null, converted: e.converted_type ?? null,
    children: e.num_children ?? 0,
  })))
  rows.push(...hp.toJson(await hp.parquetReadObjects({ file })))
}
process.stdout.write(JSON.stringify({ schemas, rows }))
