// ES module types: `import Kernel, { NotFoundError, type Invocation } from 'kernel-native'`.
import { Kernel } from './types.js';

export * from './types.js';
export default Kernel;
