import { SUITES } from '../suites/index.ts';
import { describeDefectIsolation, isolatedSuites } from './support/defect-isolation.ts';

// The grants suite, the largest, has its own file (defect-isolation-grants.test.ts) so the two run in parallel.
describeDefectIsolation(isolatedSuites((suite) => suite.name !== 'grants', SUITES));
