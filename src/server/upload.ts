// multipart/form-data for the one form that uploads a file (the Settings page's import of counts): parsed before the
// CSRF check, so the form's `_csrf` field is read like any other form's. One file, UTF-8 text, at most UPLOAD_LIMIT.
import busboy from 'busboy';
import type { RequestHandler } from 'express';

import { HttpError } from './security.ts';

export const UPLOAD_LIMIT_BYTES = 5 * 1024 * 1024;

/** Puts the form's fields on `req.body`, and the file's text under the file field's name. */
export function fileUpload(limitBytes = UPLOAD_LIMIT_BYTES): RequestHandler {
  return (req, _res, next) => {
    if (!req.is('multipart/form-data')) {
      next();
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: limitBytes, fields: 20, fieldSize: 4096 },
      });
    } catch (error) {
      next(new HttpError(400, `The upload could not be read: ${(error as Error).message}.`));
      return;
    }
    const body: Record<string, string> = {};
    let failure: HttpError | null = null;
    parser.on('field', (name, value) => {
      body[name] = value;
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failure = new HttpError(413, `The file is too large (limit ${limitBytes / 1024 / 1024} MB).`);
      });
      stream.on('end', () => {
        body[name] = Buffer.concat(chunks).toString('utf8');
      });
    });
    parser.on('filesLimit', () => {
      failure = new HttpError(400, 'Upload one file at a time.');
    });
    parser.on('error', (error: Error) => next(new HttpError(400, `The upload could not be read: ${error.message}.`)));
    parser.on('close', () => {
      if (failure !== null) {
        next(failure);
        return;
      }
      req.body = body;
      next();
    });
    req.pipe(parser);
  };
}
