using System;

namespace Dmp
{
    /// <summary>A habilitation (consultation) matrix, and the staff report made with it.
    /// Immutable: one instance may be used by several threads; dispose it when none uses it.</summary>
    public sealed class Matrix : IDisposable
    {
        private readonly MatrixHandle handle;

        private Matrix(MatrixHandle h) { handle = h; }

        /// <summary>The embedded (provisional) matrix.</summary>
        public Matrix()
        {
            Ffi.Check(Native.dmp_matrix_new_default(out handle));
        }

        /// <summary>A matrix from its CSV table and its description (<c>{"id", "title", "date", "legal_basis"}</c>).</summary>
        public static Matrix FromCsv(string csv, string infoJson)
        {
            MatrixHandle h;
            Ffi.Check(Native.dmp_matrix_new_from_csv(Ffi.C(csv, "csv"), Ffi.C(infoJson, "info"), out h));
            return new Matrix(h);
        }

        /// <summary>A matrix from its JSON form.</summary>
        public static Matrix FromJson(string json)
        {
            MatrixHandle h;
            Ffi.Check(Native.dmp_matrix_new_from_json(Ffi.C(json, "json"), out h));
            return new Matrix(h);
        }

        /// <summary>A new matrix: this one with other settings (<c>{"social_rows_in_force": true}</c>).</summary>
        public Matrix WithSettings(string settingsJson)
        {
            MatrixHandle h;
            Ffi.Check(Native.dmp_matrix_with_settings(handle, Ffi.C(settingsJson, "settings"), out h));
            return new Matrix(h);
        }

        /// <summary><c>{"info", "settings"}</c>.</summary>
        public string Info()
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_matrix_info(handle, out o));
            return Ffi.TakeText(o);
        }

        /// <summary>May this reader (<c>{"profession": {"system", "code"}}</c>) open documents of this type?</summary>
        public string Decide(string readerJson, string typeCode)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_matrix_decide(handle, Ffi.C(readerJson, "reader"), Ffi.C(typeCode, "type_code"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>The document types this reader may open.</summary>
        public string ReadableTypes(string readerJson)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_matrix_readable_types(handle, Ffi.C(readerJson, "reader"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Who of the staff may feed and consult, as JSON.</summary>
        public string StaffReport(string staffJson)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_staff_report(handle, Ffi.C(staffJson, "staff"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>The same report, as text for people.</summary>
        public string StaffReportText(string staffJson)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_staff_report_text(handle, Ffi.C(staffJson, "staff"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Releases the matrix (idempotent).</summary>
        public void Dispose() { handle.Dispose(); }
    }
}
