// Reads a Parquet file with hyparquet (an independent JavaScript reader) and
// prints its rows as one JSON array: nested lists and structs as arrays and
// objects, INT64 as numbers. Used by data's export tests.
//
//   node read_parquet.mjs <hyparquet package dir> <file.parquet>
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const [dir, file] = process.argv.slice(2)
const hp = await import(pathToFileURL(join(dir, 'src', 'node.js')).href)
const rows = await hp.parquetReadObjects({ file: await hp.asyncBufferFromFile(file) })
process.stdout.write(JSON.stringify(hp.toJson(rows)))
