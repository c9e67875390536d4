// devenv doctor's definition. Start-up imports every definition, so this file
// stays small: doctor.ts, which runs the checks, loads when the command runs.
import { defineCommand } from '../define-command.ts';
import type { DoctorResult } from './doctor.ts';

const doctorModule = () => import('./doctor.ts');

export const doctorCommand = defineCommand({
  name: 'doctor',
  description: 'check the prerequisites (Node.js, Docker engine, Pulumi engine, base image, disk) and say what to do',
  json: 'print the rows as JSON',
  run: async (_, __, ctx) => (await doctorModule()).doctor(ctx),
  text: async (result: DoctorResult) => (await doctorModule()).doctorText(result),
  ok: (result) => result.ok,
});
