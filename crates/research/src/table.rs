//! A small columnar table, written to and read from Parquet through Arrow.
//!
//! Columns are numbers (`f64`), patient numbers (`u32`) or optional text (window names and
//! errors). The Python package hands the same columns to numpy, so a cohort run in-process, a
//! cohort read back from its Parquet file and a cohort gathered from Ray tasks are one shape.
use arrow_array::types::{ArrowPrimitiveType, Float64Type, UInt32Type};
use arrow_array::{ArrayRef, Float64Array, PrimitiveArray, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::sync::Arc;

/// One column's values.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    F64(Vec<f64>),
    U32(Vec<u32>),
    Text(Vec<Option<String>>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn empty_like(&self) -> Column {
        match self {
            Column::F64(_) => Column::F64(Vec::new()),
            Column::U32(_) => Column::U32(Vec::new()),
            Column::Text(_) => Column::Text(Vec::new()),
        }
    }

    fn extend(&mut self, other: &Column) -> Result<(), String> {
        match (self, other) {
            (Column::F64(a), Column::F64(b)) => a.extend_from_slice(b),
            (Column::U32(a), Column::U32(b)) => a.extend_from_slice(b),
            (Column::Text(a), Column::Text(b)) => a.extend(b.iter().cloned()),
            _ => return Err("column types differ".into()),
        }
        Ok(())
    }
}

/// Named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub names: Vec<String>,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn push(&mut self, name: impl Into<String>, col: Column) {
        self.names.push(name.into());
        self.columns.push(col);
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// A number column by name.
    pub fn f64(&self, name: &str) -> Option<&[f64]> {
        match self.column(name)? {
            Column::F64(v) => Some(v),
            _ => None,
        }
    }

    /// Append the rows of `other`, which must have the same columns.
    pub fn append(&mut self, other: &Table) -> Result<(), String> {
        if self.names.is_empty() {
            self.names = other.names.clone();
            self.columns = other.columns.iter().map(Column::empty_like).collect();
        }
        if self.names != other.names {
            return Err("the tables have different columns".into());
        }
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.extend(b)?;
        }
        Ok(())
    }

    fn batch(&self) -> Result<RecordBatch, String> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (n, c) in self.names.iter().zip(&self.columns) {
            match c {
                Column::F64(v) => {
                    fields.push(Field::new(n, DataType::Float64, false));
                    arrays.push(Arc::new(Float64Array::from(v.clone())));
                }
                Column::U32(v) => {
                    fields.push(Field::new(n, DataType::UInt32, false));
                    arrays.push(Arc::new(UInt32Array::from(v.clone())));
                }
                Column::Text(v) => {
                    fields.push(Field::new(n, DataType::Utf8, true));
                    arrays.push(Arc::new(StringArray::from(v.clone())));
                }
            }
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| e.to_string())
    }

    /// Write as one Parquet file (uncompressed), atomically: a temporary file renamed into
    /// place, so an interrupted write never leaves a half file under the final name.
    pub fn write_parquet(&self, path: &Path) -> Result<(), String> {
        let ctx = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let batch = self.batch().map_err(|e| ctx(&e))?;
        let tmp = path.with_extension("parquet.tmp");
        let file = std::fs::File::create(&tmp).map_err(|e| ctx(&e))?;
        let mut w = ArrowWriter::try_new(file, batch.schema(), None).map_err(|e| ctx(&e))?;
        w.write(&batch).map_err(|e| ctx(&e))?;
        w.close().map_err(|e| ctx(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| ctx(&e))?;
        Ok(())
    }

    /// Read a Parquet file written by [`Table::write_parquet`].
    pub fn read_parquet(path: &Path) -> Result<Table, String> {
        let ctx = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let file = std::fs::File::open(path).map_err(|e| ctx(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| ctx(&e))?
            .build()
            .map_err(|e| ctx(&e))?;
        let mut out = Table::default();
        for batch in reader {
            let batch = batch.map_err(|e| ctx(&e))?;
            let mut t = Table::default();
            for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
                let col = match f.data_type() {
                    DataType::Float64 => {
                        Column::F64(numbers::<Float64Type>(a, "f64").map_err(|e| ctx(&e))?)
                    }
                    DataType::UInt32 => {
                        Column::U32(numbers::<UInt32Type>(a, "u32").map_err(|e| ctx(&e))?)
                    }
                    DataType::Utf8 => Column::Text(
                        a.as_any()
                            .downcast_ref::<StringArray>()
                            .ok_or_else(|| ctx(&"bad text column"))?
                            .iter()
                            .map(|s| s.map(str::to_string))
                            .collect(),
                    ),
                    other => return Err(ctx(&format!("unexpected column type {other}"))),
                };
                t.push(f.name().clone(), col);
            }
            out.append(&t).map_err(|e| ctx(&e))?;
        }
        Ok(out)
    }
}

/// The values of a numeric Arrow column of type `T` (`what` names it in the error).
fn numbers<T: ArrowPrimitiveType>(a: &ArrayRef, what: &str) -> Result<Vec<T::Native>, String> {
    a.as_any()
        .downcast_ref::<PrimitiveArray<T>>()
        .map(|x| x.values().to_vec())
        .ok_or_else(|| format!("bad {what} column"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_round_trip() {
        let mut t = Table::default();
        t.push("patient", Column::U32(vec![0, 1, 2]));
        t.push("x", Column::F64(vec![0.5, f64::NAN, -1.0]));
        t.push(
            "error",
            Column::Text(vec![None, Some("refused".into()), None]),
        );
        let dir = std::env::temp_dir().join(format!("research-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.parquet");
        t.write_parquet(&p).unwrap();
        let back = Table::read_parquet(&p).unwrap();
        assert_eq!(back.names, t.names);
        assert_eq!(back.column("patient"), t.column("patient"));
        assert_eq!(back.column("error"), t.column("error"));
        let x = back.f64("x").unwrap();
        assert_eq!(x[0], 0.5);
        assert!(x[1].is_nan());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
