// visage subjects list|show|rename|merge|delete|negatives|remove-negative: the enrolled people.
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { DB_HELP, dbLabel, dbPath, openGallery } from '../gallery-file.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';
import { subjectRefFromText } from '../../gallery/validate.ts';
import { negativeExamples } from '../../gallery/negatives.ts';

export const subjectsHelp = `Usage: visage subjects <action> [options]

  list                   every enrolled person with the number of faces
  show <name>            one person's faces: source image, box, quality, embedders
  rename <old> <new>     rename a person
  merge <from> <into>    move every face of <from> to <into> and delete <from>
                         (an image enrolled for both is kept once)
  delete <name> --yes    delete a person and their faces
  negatives <name>       the person's negative examples ("not this person", e.g. from
                         visage cluster not): faces never matched to them, with their ids
  remove-negative <name> <id>
                         undo one: the face may be matched to the person again

Names compare case-insensitively. A person is named by name or by id: digits are an id
(as in the REST API), so names are never only digits.

Options:
${DB_HELP}
  --json               print the result as JSON
  --yes                confirm delete
  -h, --help           this help

Exit status: 0 ok, 1 failure (e.g. unknown subject), 2 bad command line.
`;

export async function subjectsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(subjectsHelp);
    return 0;
  }
  const [action, ...args] = positionals;
  const usage: Record<string, [number, string]> = {
    list: [0, 'list'], show: [1, 'show <name>'], rename: [2, 'rename <old> <new>'], merge: [2, 'merge <from> <into>'], delete: [1, 'delete <name> --yes'],
    negatives: [1, 'negatives <name>'], 'remove-negative': [2, 'remove-negative <name> <id>'],
  };
  if (action === undefined) throw new VisageError('VISAGE_ERR_USAGE', 'visage subjects needs an action: list, show, rename, merge, delete, negatives or remove-negative (try: visage subjects --help)');
  const spec = usage[action];
  if (!spec) throw new VisageError('VISAGE_ERR_USAGE', `unknown subjects action "${action}": list, show, rename, merge, delete, negatives or remove-negative`);
  if (args.length !== spec[0]) throw new VisageError('VISAGE_ERR_USAGE', `usage: visage subjects ${spec[1]}`);
  const file = dbPath(values.db);
  const gallery = await openGallery(file, { write: !['list', 'show', 'negatives'].includes(action) });
  const print = (data: unknown, text: string) => process.stdout.write(values.json ? formatJson(data) : text);
  try {
    switch (action) {
      case 'list': {
        const subjects = await gallery.listSubjects();
        if (values.json) print({ subjects }, '');
        else if (subjects.length === 0) process.stderr.write(`no subjects in ${dbLabel(file)}\n`);
        else printTable(['name', 'faces', 'enrolled'], subjects.map((s) => [s.name, String(s.faceCount), s.created.slice(0, 10)]));
        return 0;
      }
      case 'show': {
        const subject = await gallery.getSubject(subjectRefFromText(args[0]!));
        const faces = await gallery.listFaces(subject.id);
        if (values.json) {
          print({ subject, faces }, '');
        } else {
          process.stdout.write(`${subject.name}: ${faces.length} face(s), enrolled ${subject.created.slice(0, 10)}${Object.keys(subject.metadata).length ? `, metadata ${JSON.stringify(subject.metadata)}` : ''}\n`);
          printTable(['face', 'source', 'box (x,y wxh)', 'size', 'embedders'], faces.map((f) => [
            String(f.id), f.sourceFile ?? '-',
            f.box ? `${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}` : '-',
            f.quality ? String(Math.round(f.quality.size)) : '-', f.models.join(','),
          ]));
        }
        return 0;
      }
      case 'rename': {
        const subject = await gallery.renameSubject(subjectRefFromText(args[0]!), args[1]!);
        print({ subject }, `renamed "${args[0]}" to "${subject.name}"\n`);
        return 0;
      }
      case 'merge': {
        const result = await gallery.mergeSubjects(subjectRefFromText(args[0]!), subjectRefFromText(args[1]!));
        print(result, `merged "${args[0]}" into "${result.subject.name}": ${result.movedFaces} face(s) moved${result.droppedDuplicates ? `, ${result.droppedDuplicates} already enrolled for both dropped` : ''}; ${result.subject.name} has ${result.subject.faceCount} face(s)\n`);
        return 0;
      }
      case 'delete': {
        const subject = await gallery.getSubject(subjectRefFromText(args[0]!));
        if (!values.yes) throw new VisageError('VISAGE_ERR_USAGE', `delete removes "${subject.name}" and ${subject.faceCount} face(s); add --yes to do it`);
        const result = await gallery.deleteSubject(subject.id);
        print({ deleted: subject.name, deletedFaces: result.deletedFaces }, `deleted "${subject.name}" and ${result.deletedFaces} face(s)\n`);
        return 0;
      }
      case 'negatives': {
        const subject = await gallery.getSubject(subjectRefFromText(args[0]!));
        const negatives = await negativeExamples(gallery, subject.id);
        if (values.json) print({ subject, negatives }, '');
        else if (negatives.length === 0) process.stderr.write(`${subject.name} has no negative example\n`);
        else {
          printTable(['id', 'source', 'box (x,y wxh)', 'kept', 'embedders'], negatives.map((n) => [
            String(n.id), n.sourceFile ?? '-', n.box ? `${Math.round(n.box.x)},${Math.round(n.box.y)} ${Math.round(n.box.width)}x${Math.round(n.box.height)}` : '-',
            n.created.slice(0, 10), n.models.join(','),
          ]));
        }
        return 0;
      }
      case 'remove-negative': {
        const subject = await gallery.getSubject(subjectRefFromText(args[0]!));
        if (!/^\d{1,15}$/.test(args[1]!)) throw new VisageError('VISAGE_ERR_USAGE', `a negative example id is a whole number (see visage subjects negatives ${args[0]}), got "${args[1]}"`);
        const id = Number(args[1]);
        await gallery.deleteNegative(id, subject.id);
        print({ subject: subject.name, removed: id }, `removed negative example ${id} of "${subject.name}": that face may be matched to them again\n`);
        return 0;
      }
    }
    return 0;
  } finally {
    await gallery.close();
  }
}
