import { SUITES } from '../suites/index.ts';
import { describeDefectIsolation, isolatedSuites } from './support/defect-isolation.ts';

describeDefectIsolation(isolatedSuites((suite) => suite.name === 'grants', SUITES));
