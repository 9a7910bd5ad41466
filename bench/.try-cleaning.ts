import { cleaningRows } from './cleaning.js';
import { formatTable } from './table.js';
console.log(formatTable(await cleaningRows()));
